#include "ui/api_session.hpp"

#include <chrono>
#include <exception>
#include <future>
#include <utility>

#include "core/config_manager.hpp"
#include "core/time.hpp"
#include "data/bar_store.hpp"
#include "support/command.hpp"
#include "support/shared_data.hpp"

namespace gauntlet::testing::ui {

namespace fs = std::filesystem;
using nlohmann::json;

Session::Session(const fs::path& store, const fs::path& state, std::optional<double> replay_speed,
                 const fs::path& reports) {
  config::Config config = load_config((project_source_dir() / "config" / "default.yaml").string());
  runtime::RunOptions options;
  options.feed = runtime::FeedMode::kReplay;
  options.state_dir = state;
  options.data_root = store;
  options.search_space = project_source_dir() / "config" / "ml_search.json";
  options.quiet = true;
  options.min_turnover = 0;
  options.universe_size = 3;
  options.candidates = {{"sma_cross", Asset::kSpot, R"({"fast":5,"slow":10})"},
                        {"ema_cross", Asset::kSpot, R"({"fast":5,"slow":13})"}};
  options.lifecycle = false;
  options.replay_speed = replay_speed;
  options.serve_after_end = true;
  runtime_ = std::make_unique<runtime::AppRuntime>(std::move(config), std::move(options));
  gauntlet::ui::ApiServerOptions api;
  api.state_dir = state;
  api.reports_dir = reports;
  api.refresh_interval = std::chrono::milliseconds(20);
  api.push_interval = std::chrono::milliseconds(50);
  std::promise<unsigned short> listening;
  std::future<unsigned short> port = listening.get_future();
  engine_ = std::thread([this, api, &listening] {
    try {
      runtime_->start_all();
      api_ = std::make_unique<gauntlet::ui::ApiServer>(*runtime_, api);
      api_->start();
      listening.set_value(api_->port());
    } catch (...) {
      listening.set_exception(std::current_exception());
      return;
    }
    runtime_->run();
    finished_ = true;
  });
  port_ = port.get();
  token_ = api_->auth().token();
}

Session::~Session() {
  runtime_->request_stop();
  engine_.join();
  api_->stop();
}

json Session::wait_status(const std::function<bool(const json&)>& done) const {
  json status;
  for (int i = 0; i < 600; ++i) {
    status = get("/status").json();
    if (done(status)) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return status;
}

TempDir* RealBarsTest::dir_ = nullptr;
fs::path RealBarsTest::store_;

void RealBarsTest::SetUpTestSuite() {
  const std::optional<fs::path> data = find_shared_data();
  if (!data) return;
  dir_ = new TempDir();
  const ImportedStore imported =
      import_binance_spot(GAUNTLET_BINARY, *data, dir_->path(), {"BTC", "ETH", "XRP"});
  ASSERT_EQ(imported.outcome.exit_code, 0) << imported.outcome.output;
  store_ = imported.store;
}

void RealBarsTest::TearDownTestSuite() {
  delete dir_;
  dir_ = nullptr;
}

void RealBarsTest::SetUp() {
  GAUNTLET_SHARED_DATA_OR_SKIP(data);
  ASSERT_FALSE(store_.empty()) << "the bars of " << data << " were not imported";
}

fs::path RealBarsTest::window(const std::string& name, int days) {
  const fs::path root = dir_->path() / name;
  const data::BarStore from(store_);
  data::BarStore to(root);
  for (const data::SeriesKey& key : from.list()) {
    const TimestampMs first = floor_to(*from.first_bar_time(key), kDayMs) + kDayMs;
    const data::BarSeries bars = from.load_bars(key, first, first + days * kDayMs);
    to.upsert_bars(key, bars.to_bars());
  }
  return root;
}

}  // namespace gauntlet::testing::ui
