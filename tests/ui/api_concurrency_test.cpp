// The control-plane API under concurrent load while the engine runs: eight clients read
// GET /strategy/{id}, /status, /trades and /strategies as fast as they can, and a ninth kills
// and resumes spot, during a replay of real bars. Every answer must be a 2xx or a 4xx and the
// session must keep running. It guards the crash of GET /strategy/{id}, whose handler read the
// strategy history (the engine's SQLite connection) on the HTTP thread while the engine wrote
// it; ASan sees such a race only when it corrupts memory, so it also runs under ThreadSanitizer
// (make tsan), which reports it at the first overlap.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ui/api_session.hpp"

namespace gauntlet::ui {
namespace {

using nlohmann::json;
using testing::ui::Reply;
using testing::ui::Session;

constexpr int kReaders = 8;
constexpr auto kHammer = std::chrono::seconds(4);

// The answers of every client, and the first few that were neither 2xx nor 4xx.
class Tally {
 public:
  void record(const std::string& what, const Reply& reply) {
    ++answers_;
    const int kind = reply.status / 100;  // 0: no answer
    if (kind == 2 || kind == 4) return;
    const std::lock_guard lock(mutex_);
    if (failures_.size() < 20)
      failures_.push_back(what + " -> " + std::to_string(reply.status) + " " + reply.body);
  }
  int answers() const { return answers_; }
  std::vector<std::string> failures() const {
    const std::lock_guard lock(mutex_);
    return failures_;
  }

 private:
  std::atomic<int> answers_{0};
  mutable std::mutex mutex_;
  std::vector<std::string> failures_;
};

class ApiConcurrencyTest : public testing::ui::RealBarsTest {};

TEST_F(ApiConcurrencyTest, EightClientsReadingWhileSpotIsKilledAndResumedGetOnly2xxOr4xx) {
  // An hour of market a wall second: three days outlast the load by far.
  Session session(window("concurrency", 3), dir_->path() / "state-concurrency", 3600.0,
                  dir_->path() / "no-reports");
  session.wait_status([](const json& s) { return s["steps"].get<int64_t>() > 0; });
  const json before = session.get("/status").json();
  ASSERT_TRUE(before["running"].get<bool>());
  std::vector<std::string> ids;
  for (const json& s : session.get("/strategies").json()) ids.push_back(s["id"]);
  ASSERT_FALSE(ids.empty());

  Tally tally;
  const auto deadline = std::chrono::steady_clock::now() + kHammer;
  std::vector<std::thread> clients;
  for (int c = 0; c < kReaders; ++c) {
    clients.emplace_back([&, c] {
      for (std::size_t i = static_cast<std::size_t>(c); std::chrono::steady_clock::now() < deadline;
           ++i) {
        std::string target;
        switch (i % 4) {
          case 0:
            target = "/strategy/" + ids[(i / 4) % ids.size()];
            break;
          case 1:
            target = "/status";
            break;
          case 2:
            target = "/trades?page_size=50";
            break;
          default:
            target = "/strategies";
        }
        tally.record("GET " + target, session.get(target));
      }
    });
  }
  int actions = 0;
  for (bool kill = true; std::chrono::steady_clock::now() < deadline; kill = !kill) {
    const std::string target = kill ? "/kill/spot" : "/resume/spot";
    const Reply reply = session.call("POST", target);
    tally.record("POST " + target, reply);
    EXPECT_EQ(reply.status, 200) << "POST " << target << " -> " << reply.body;
    ++actions;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (std::thread& client : clients) client.join();

  for (const std::string& failure : tally.failures()) ADD_FAILURE() << failure;
  EXPECT_GT(tally.answers(), kReaders * 10) << "the clients were starved";
  EXPECT_GT(actions, 4);
  // Spot resumed (the loop ends after a kill when it made an odd number of actions; a resume
  // of a spot that is not killed is a 409), the session still running and further on: the
  // engine was never blocked.
  if (actions % 2 == 1) {
    ASSERT_EQ(session.call("POST", "/resume/spot").status, 200);
  }
  const json after = session.get("/status").json();
  EXPECT_TRUE(after["running"].get<bool>()) << "the replay ended during the load: make it longer";
  EXPECT_GT(after["steps"].get<int64_t>(), before["steps"].get<int64_t>());
}

}  // namespace
}  // namespace gauntlet::ui
