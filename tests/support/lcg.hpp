// File: tests/support/lcg.hpp
//
// The random source of the validation reference's generators (validation.md §17): Knuth's MMIX
// LCG x <- 6364136223846793005·x + 1442695040888963407 (mod 2^64), uniform() = (x >> 11)·2^-53
// in [0, 1), and the Irwin–Hall normal (u1 + ... + u12) − 6, summed left to right. Tests
// regenerate the reference's inputs with it, bit for bit.
#pragma once

#include <cstdint>

namespace gauntlet::testing {

class Lcg {
 public:
  explicit Lcg(std::uint64_t seed) : state_(seed) {}

  // Advances and returns the raw 64-bit state.
  std::uint64_t next() {
    state_ = 6364136223846793005ULL * state_ + 1442695040888963407ULL;
    return state_;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double normal_ih() {
    double sum = 0;
    for (int i = 0; i < 12; ++i) sum += uniform();
    return sum - 6.0;
  }

 private:
  std::uint64_t state_;
};

}  // namespace gauntlet::testing
