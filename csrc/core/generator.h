// Generator: a Philox key (the seed) and a counter offset. Each random op reserves the Philox
// blocks it will use, so consecutive ops draw disjoint streams and results do not depend on
// threads or device. One default generator per device; manual_seed seeds them all.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/device.h"

namespace pydl {

class Generator {
 public:
  static constexpr uint64_t kDefaultSeed = 67280421310721ull;  // PyTorch's default seed
  explicit Generator(Device device = Device(DeviceType::CPU), uint64_t seed = kDefaultSeed)
      : device_(device), seed_(seed) {}

  Device device() const { return device_; }
  void manual_seed(uint64_t seed);
  uint64_t seed();  // reseeds from a non-deterministic source and returns the new seed
  uint64_t initial_seed() const;
  // Returns the first block of a fresh range of `blocks` Philox blocks, and the key.
  std::pair<uint64_t, uint64_t> reserve(uint64_t blocks);
  uint64_t offset() const;
  void set_state(uint64_t seed, uint64_t offset);

 private:
  Device device_;
  mutable std::mutex mutex_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

Generator& default_generator(Device device);  // device index -1 means the current device
void manual_seed_all(uint64_t seed);           // every default generator, CPU and CUDA

}  // namespace pydl
