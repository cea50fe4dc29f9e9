#include "core/device.h"

#include <cctype>

#include "core/error.h"

namespace pydl {

const char* device_type_name(DeviceType t) { return t == DeviceType::CPU ? "cpu" : "cuda"; }

Device::Device(const std::string& spec) {
  auto colon = spec.find(':');
  std::string type_str = spec.substr(0, colon);
  if (type_str == "cpu") {
    type = DeviceType::CPU;
  } else if (type_str == "cuda") {
    type = DeviceType::CUDA;
  } else {
    PYDL_FAIL("Expected one of cpu, cuda device type at start of device string: ", spec);
  }
  if (colon == std::string::npos) return;
  std::string idx = spec.substr(colon + 1);
  bool digits = !idx.empty() && idx.size() <= 3;
  for (char c : idx) digits = digits && std::isdigit(static_cast<unsigned char>(c));
  PYDL_CHECK(digits && std::stoi(idx) < 128, "Invalid device string: '", spec, "'");
  index = static_cast<int8_t>(std::stoi(idx));
  PYDL_CHECK(type != DeviceType::CPU || index == 0, "CPU device index must be -1 or zero, got ", idx);
}

std::string Device::str() const {
  std::string s = device_type_name(type);
  if (index >= 0) s += ":" + std::to_string(index);
  return s;
}

std::ostream& operator<<(std::ostream& os, const Device& d) { return os << d.str(); }

}  // namespace pydl
