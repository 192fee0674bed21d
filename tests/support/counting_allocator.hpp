// File: tests/support/counting_allocator.hpp
//
// Counting replacements of every global operator new and delete, for tests that prove a hot
// path allocates nothing: read allocation_count() around the measured section. Linking the
// gauntlet_counting_allocator object library replaces the allocation functions of the whole
// binary (every thread), so such a test is its own executable.
#pragma once

#include <cstddef>

namespace gauntlet::testing {

// Allocations made through operator new (any form) since the program started.
std::size_t allocation_count();

}  // namespace gauntlet::testing
