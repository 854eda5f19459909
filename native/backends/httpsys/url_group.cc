#include "backends/httpsys/url_group.h"

namespace syshttp::httpsys {

ULONG UrlGroup::bind(HANDLE queue) {
  HTTP_BINDING_INFO binding{};
  binding.Flags.Present = 1;
  binding.RequestQueueHandle = queue;
  return HttpSetUrlGroupProperty(id_, HttpServerBindingProperty, &binding, sizeof binding);
}

ULONG UrlGroup::setTimeouts(const HTTP_TIMEOUT_LIMIT_INFO& limits) {
  HTTP_TIMEOUT_LIMIT_INFO copy = limits;
  copy.Flags.Present = 1;
  return HttpSetUrlGroupProperty(id_, HttpServerTimeoutsProperty, &copy, sizeof copy);
}

// The connection limit is a QoS setting of the group (HttpServerQosProperty).
ULONG UrlGroup::setMaxConnections(ULONG max) {
  HTTP_CONNECTION_LIMIT_INFO limit{};
  limit.Flags.Present = 1;
  limit.MaxConnections = max;
  HTTP_QOS_SETTING_INFO qos{};
  qos.QosType = HttpQosSettingTypeConnectionLimit;
  qos.QosSetting = &limit;
  return HttpSetUrlGroupProperty(id_, HttpServerQosProperty, &qos, sizeof qos);
}

}  // namespace syshttp::httpsys
