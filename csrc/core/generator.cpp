#include "core/generator.h"

#include <chrono>
#include <random>
#include <vector>

#include "backend/backend.h"

namespace pydl {

void Generator::manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  offset_ = 0;
}

uint64_t Generator::seed() {
  std::random_device rd;
  uint64_t s = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
               static_cast<uint64_t>(std::chrono::high_resolution_clock::now().time_since_epoch().count());
  manual_seed(s);
  return s;
}

uint64_t Generator::initial_seed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return seed_;
}

std::pair<uint64_t, uint64_t> Generator::reserve(uint64_t blocks) {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t first = offset_;
  offset_ += blocks;
  return {seed_, first};
}

uint64_t Generator::offset() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return offset_;
}

void Generator::set_state(uint64_t seed, uint64_t offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  offset_ = offset;
}

namespace {
std::mutex g_mutex;
std::unique_ptr<Generator> g_cpu;
std::vector<std::unique_ptr<Generator>> g_cuda;
uint64_t g_pending_cuda_seed = Generator::kDefaultSeed;
}  // namespace

Generator& default_generator(Device device) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (device.is_cpu()) {
    if (!g_cpu) g_cpu = std::make_unique<Generator>();
    return *g_cpu;
  }
  Device d = canonical_device(device);
  if (g_cuda.size() <= static_cast<size_t>(d.index)) g_cuda.resize(d.index + 1);
  auto& g = g_cuda[d.index];
  if (!g) g = std::make_unique<Generator>(d, g_pending_cuda_seed);
  return *g;
}

void manual_seed_all(uint64_t seed) {
  default_generator(Device(DeviceType::CPU)).manual_seed(seed);
  std::lock_guard<std::mutex> lock(g_mutex);
  g_pending_cuda_seed = seed;  // CUDA generators created later start from this seed too
  for (auto& g : g_cuda)
    if (g) g->manual_seed(seed);
}

}  // namespace pydl
