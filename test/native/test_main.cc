// Runs every registered TEST_CASE and prints TAP: "1..N", "ok N - name" / "not ok N - name"
// with the failure messages as YAML-ish comments. Exit status 1 when any case failed.
// An optional argument runs only the cases whose name contains it.
#include <cstdio>
#include <cstring>
#include <string>

#include "test.h"

namespace syshttp::test {

std::vector<TestCase>& registry() {
  static std::vector<TestCase> cases;
  return cases;
}

std::string escape(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '\r': out += "\\r"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (c < 0x20 || c >= 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02X", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

}  // namespace syshttp::test

int main(int argc, char** argv) {
  using namespace syshttp::test;
  const char* filter = argc > 1 ? argv[1] : nullptr;
  std::vector<TestCase> selected;
  for (const TestCase& c : registry()) {
    if (filter == nullptr || std::strstr(c.name, filter) != nullptr) selected.push_back(c);
  }
  std::printf("TAP version 13\n1..%zu\n", selected.size());
  size_t failed = 0;
  for (size_t i = 0; i < selected.size(); ++i) {
    Context ctx;
    selected[i].fn(ctx);
    std::string name = escape(selected[i].name);
    if (ctx.failed()) {
      ++failed;
      std::printf("not ok %zu - %s\n", i + 1, name.c_str());
      size_t shown = 0;
      for (const std::string& f : ctx.failures()) {
        if (++shown > 20) {
          std::printf("#   ... %zu more\n", ctx.failures().size() - 20);
          break;
        }
        std::string line = f;
        for (char& ch : line) {
          if (ch == '\n' || ch == '\r') ch = ' ';
        }
        std::printf("#   %s\n", line.c_str());
      }
    } else {
      std::printf("ok %zu - %s\n", i + 1, name.c_str());
    }
    std::fflush(stdout);
  }
  std::printf("# %zu passed, %zu failed\n", selected.size() - failed, failed);
  return failed == 0 ? 0 : 1;
}
