#include "runtime/candidate_validator.hpp"

namespace gauntlet::runtime {

std::string_view to_string(Evidence evidence) {
  switch (evidence) {
    case Evidence::kReplay:
      return "replayed real";
    case Evidence::kLive:
      return "live";
    case Evidence::kSimulatedDemo:
      return "simulated (DEMO)";
  }
  return "replayed real";
}

}  // namespace gauntlet::runtime
