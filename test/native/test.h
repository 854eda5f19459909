// A tiny test framework for the native unit tests: TEST_CASE registers a case, CHECK and
// CHECK_EQ record failures (the case goes on), test_main.cc prints TAP 13.
#pragma once
#include <cstdint>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace syshttp::test {

class Context {
 public:
  void fail(const char* file, int line, const std::string& what) {
    std::ostringstream os;
    os << file << ":" << line << ": " << what;
    failures_.push_back(os.str());
  }
  bool failed() const { return !failures_.empty(); }
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  std::vector<std::string> failures_;
};

using TestFn = void (*)(Context&);

struct TestCase {
  const char* name;
  TestFn fn;
};

// The registry lives in a function-local static so registration order across
// translation units does not matter.
std::vector<TestCase>& registry();

struct Registrar {
  Registrar(const char* name, TestFn fn) { registry().push_back(TestCase{name, fn}); }
};

// Printing values in failure messages: enums as their integer, strings quoted and escaped.
std::string escape(const std::string& s);
inline std::string show(const std::string& s) { return "\"" + escape(s) + "\""; }
inline std::string show(const char* s) { return show(std::string(s)); }
inline std::string show(bool b) { return b ? "true" : "false"; }
template <typename T>
std::string show(const T& v) {
  if constexpr (std::is_enum_v<T>) {
    return std::to_string(static_cast<long long>(static_cast<std::underlying_type_t<T>>(v)));
  } else {
    std::ostringstream os;
    os << v;
    return os.str();
  }
}

}  // namespace syshttp::test

#define SYSHTTP_CAT2(a, b) a##b
#define SYSHTTP_CAT(a, b) SYSHTTP_CAT2(a, b)

// TEST_CASE("name") { ... }  — the body sees `t`, the Context.
#define TEST_CASE(name) TEST_CASE_IMPL(name, SYSHTTP_CAT(syshttp_test_, __LINE__))
#define TEST_CASE_IMPL(name, id)                                                      \
  static void id(::syshttp::test::Context& t);                                        \
  static const ::syshttp::test::Registrar SYSHTTP_CAT(id, _registrar){name, &id};     \
  static void id([[maybe_unused]] ::syshttp::test::Context& t)

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) t.fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_EQ(actual, expected)                                                        \
  do {                                                                                    \
    const auto& syshttp_a_ = (actual);                                                    \
    const auto& syshttp_e_ = (expected);                                                  \
    if (!(syshttp_a_ == syshttp_e_)) {                                                    \
      t.fail(__FILE__, __LINE__,                                                          \
             std::string("CHECK_EQ(" #actual ", " #expected "): got ") +                  \
                 ::syshttp::test::show(syshttp_a_) + ", expected " +                      \
                 ::syshttp::test::show(syshttp_e_));                                      \
    }                                                                                     \
  } while (0)

// Like CHECK_EQ with a context string (e.g. the input) added to the message.
#define CHECK_EQ_MSG(actual, expected, context)                                           \
  do {                                                                                    \
    const auto& syshttp_a_ = (actual);                                                    \
    const auto& syshttp_e_ = (expected);                                                  \
    if (!(syshttp_a_ == syshttp_e_)) {                                                    \
      t.fail(__FILE__, __LINE__,                                                          \
             std::string("CHECK_EQ(" #actual ", " #expected "): got ") +                  \
                 ::syshttp::test::show(syshttp_a_) + ", expected " +                      \
                 ::syshttp::test::show(syshttp_e_) + " for " + (context));                \
    }                                                                                     \
  } while (0)
