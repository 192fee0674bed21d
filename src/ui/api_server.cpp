#include "ui/api_server.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <future>
#include <map>
#include <sstream>

#include "capital/bankroll_manager.hpp"
#include "core/exceptions.hpp"
#include "core/logging.hpp"
#include "strategies/strategy_registry.hpp"

namespace gauntlet::ui {

using nlohmann::json;

namespace {

std::string text(std::string_view view) {
  return std::string(view);
}

json asset_json(const runtime::AssetPanel& a) {
  return {{"asset", text(to_string(a.asset))},
          {"balance", a.balance.to_string()},
          {"allocation", a.allocation.to_string()},
          {"reserved", a.reserved.to_string()},
          {"available", a.available.to_string()},
          {"reward_points", a.reward_points},
          {"live", a.live},
          {"killed", a.killed},
          {"halt_reason", a.halted},
          {"halts", a.halts},
          {"open_positions", a.open_positions},
          {"closed_trades", a.closed_trades},
          {"realized_pnl", a.realized_pnl.to_string()}};
}

json status_json(const runtime::RuntimeStatus& s, bool running) {
  json assets = json::array();
  for (const runtime::AssetStatus& a : s.assets) {
    assets.push_back({{"asset", text(to_string(a.asset))},
                      {"equity", a.equity.to_string()},
                      {"open_positions", a.open_positions},
                      {"closed_trades", a.closed_trades},
                      {"realized_pnl", a.realized_pnl.to_string()}});
  }
  return {{"feed", s.feed},
          {"feed_note", s.feed_note},
          {"feed_reason", s.feed_reason},
          {"simulated", s.feed != "live"},
          {"running", running},
          {"market_time", s.market_time},
          {"steps", s.steps},
          {"closed_trades", s.closed_trades},
          {"open_positions", s.open_positions},
          {"symbols", s.symbols},
          {"stopping", s.stopping},
          {"config_version", s.config_version},
          {"candidates", s.candidates},
          {"assets", assets}};
}

// An instrument's precision, by "asset/SYMBOL" (instrument_key); nullopt when unknown.
using Precisions = std::map<std::string, std::optional<runtime::Precision>>;

std::string instrument_key(Asset asset, const Symbol& symbol) {
  return fmt::format("{}/{}", to_string(asset), symbol.canonical());
}

std::optional<runtime::Precision> precision_in(const Precisions& precisions, Asset asset,
                                               const Symbol& symbol) {
  const auto found = precisions.find(instrument_key(asset, symbol));
  return found == precisions.end() ? std::nullopt : found->second;
}

// The exact decimal string of `value` with at least `places` decimals (zeros added), more only
// when the value has more (an average price): never rounded. The shortest exact string when
// `places` is unknown.
std::string with_places(Decimal value, std::optional<int> places) {
  const std::string shortest = value.to_string();
  if (!places) return shortest;
  const std::size_t dot = shortest.find('.');
  const int own = dot == std::string::npos ? 0 : static_cast<int>(shortest.size() - dot - 1);
  return own >= *places ? shortest : value.to_string(*places);
}

// A price and a quantity of the instrument, and the decimals the UI shows them with.
struct Formats {
  std::optional<int> price;
  std::optional<int> quantity;
  explicit Formats(const std::optional<runtime::Precision>& precision) {
    if (precision) {
      price = precision->price_decimals;
      quantity = precision->quantity_decimals;
    }
  }
  std::string price_text(Decimal value) const { return with_places(value, price); }
  std::string quantity_text(Decimal value) const { return with_places(value, quantity); }
  void add_decimals(json& object) const {
    object["price_decimals"] = price ? json(*price) : json(nullptr);
    object["quantity_decimals"] = quantity ? json(*quantity) : json(nullptr);
  }
};

json position_json(const runtime::PositionView& v, const Formats& f) {
  const Position& p = v.position;
  json position = {{"asset", text(to_string(p.asset))},
                   {"symbol", p.symbol.canonical()},
                   {"side", text(to_string(p.side))},
                   {"quantity", f.quantity_text(p.quantity)},
                   {"entry_price", f.price_text(p.average_price)},
                   {"mark_price", f.price_text(v.mark_price)},
                   {"unrealized_pnl", v.unrealized_pnl.to_string()},
                   {"stop_loss", f.price_text(p.stop_loss)},
                   {"take_profit", f.price_text(p.take_profit)},
                   {"strategy_id", p.strategy_id},
                   {"opened_at", p.opened_at}};
  f.add_decimals(position);
  return position;
}

json order_json(const orders::JournalEntry& e, const Formats& f) {
  const OrderRequest& r = e.request;
  json order = {{"client_order_id", r.client_order_id},
                {"asset", text(to_string(r.asset))},
                {"symbol", r.symbol.canonical()},
                {"side", text(to_string(r.side))},
                {"type", text(to_string(r.type))},
                {"quantity", f.quantity_text(r.quantity)},
                {"filled_quantity", f.quantity_text(e.filled_quantity)},
                {"price", r.limit_price ? f.price_text(*r.limit_price) : std::string()},
                {"status", text(to_string(e.status))},
                {"reduce_only", r.reduce_only},
                {"strategy_id", r.strategy_id},
                {"created_at", r.created_at}};
  f.add_decimals(order);
  return order;
}

json quote_json(const runtime::QuoteView& q, const Formats& f) {
  json quote = {{"symbol", q.symbol.canonical()},
                {"asset", text(to_string(q.asset))},
                {"price", f.price_text(q.price)},
                {"time", q.time}};
  f.add_decimals(quote);
  return quote;
}

json trade_json(const orders::ClosedTrade& t, const Formats& f) {
  json trade = {{"sequence", t.sequence},
                {"strategy_id", t.strategy_id},
                {"asset", text(to_string(t.asset))},
                {"symbol", t.symbol.canonical()},
                {"side", text(to_string(t.side))},
                {"entry_time", t.entry_time},
                {"exit_time", t.exit_time},
                {"entry_price", f.price_text(t.entry_price)},
                {"exit_price", f.price_text(t.exit_price)},
                {"quantity", f.quantity_text(t.quantity)},
                {"stop_loss", f.price_text(t.stop_loss)},
                {"take_profit", f.price_text(t.take_profit)},
                {"fees", t.fees.to_string()},
                {"realized_pnl", t.realized_pnl.to_string()},
                {"exit_reason", t.exit_reason}};
  f.add_decimals(trade);
  return trade;
}

json strategy_json(const strategies::StrategyRecord& r) {
  json params = json::parse(r.params_json, nullptr, false);
  if (params.is_discarded()) params = r.params_json;
  return {{"id", r.id},
          {"family", r.family},
          {"asset", text(to_string(r.asset))},
          {"state", text(strategies::to_string(r.state))},
          {"flags", r.flags},
          {"counters", r.counters},
          {"params", params},
          {"reason", r.reason},
          {"created_at", r.created_at},
          {"updated_at", r.updated_at}};
}

json decision_json(const Decision& decision) {
  // An id the owner does not know is a 404, like any unknown id; other refusals are 409.
  if (!decision.ok && decision.code() == "unknown_strategy") {
    throw HttpError(404, "not_found", decision.reason);
  }
  if (!decision.ok) throw HttpError(409, "refused", decision.reason);
  return {{"ok", true}, {"reason", decision.reason}};
}

Asset asset_param(const HttpRequest& request) {
  const std::string& name = request.params.at("asset");
  const std::optional<Asset> asset = asset_from_string(name);
  if (!asset) {
    throw HttpError(404, "not_found",
                    fmt::format("unknown asset: {} (spot, perp, forex, options)", name));
  }
  return *asset;
}

// A flag name: what the registry stores; letters, digits, '_' and '-' only, at most 64.
std::string flag_param(const HttpRequest& request) {
  const std::string& flag = request.params.at("flag");
  const bool valid =
      !flag.empty() && flag.size() <= 64 && std::all_of(flag.begin(), flag.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      });
  if (!valid) {
    throw HttpError(400, "bad_request",
                    "a flag is 1 to 64 characters of letters, digits, '_' and '-'");
  }
  return flag;
}

std::optional<int64_t> int_query(const HttpRequest& request, std::string_view name) {
  const std::optional<std::string> value = request.query_value(name);
  if (!value || value->empty()) return std::nullopt;
  int64_t parsed = 0;
  const auto [end, error] = std::from_chars(value->data(), value->data() + value->size(), parsed);
  if (error != std::errc() || end != value->data() + value->size()) {
    throw HttpError(400, "bad_request",
                    fmt::format("{} must be an integer, was '{}'", name, *value));
  }
  return parsed;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::string_view openapi_text();  // generated from src/ui/openapi.json (cmake/EmbedText.cmake)

const json& openapi_document() {
  static const json document = json::parse(openapi_text());
  return document;
}

// What the routes show, taken on the engine thread. Trades and marks are shared between
// snapshots: each refresh appends to a copy only when something new arrived.
struct ApiServer::Snapshot {
  json status;
  json assets;
  json positions;
  json orders;
  json quotes;
  json strategies;
  std::vector<std::string> strategy_ids;
  // Each strategy's history (GET /strategy/{id}), read on the engine thread like everything
  // else here, and again only when the strategy's updated_at moved. By id.
  struct History {
    TimestampMs updated_at = 0;
    std::shared_ptr<const json> transitions;
  };
  std::map<std::string, History> histories;
  std::map<std::string, std::string> quote_prices;  // symbol key -> price, for the pushes
  std::shared_ptr<const std::vector<orders::ClosedTrade>> trades;
  std::shared_ptr<const std::vector<runtime::EquityMark>> marks;
  std::vector<capital::Epoch> epochs;  // the paper session's, epoch 0 first
  // The precision of every instrument shown (positions, orders, quotes, trades), asked on the
  // engine thread; the trades' pages are formatted with it.
  std::shared_ptr<const Precisions> precisions;
  bool running = false;
};

ApiServer::ApiServer(runtime::ControlSource& runtime, ApiServerOptions options)
    : runtime_(runtime), options_(std::move(options)) {
  ApiAuthOptions auth;
  auth.state_dir = options_.state_dir;
  auth.public_read = options_.public_read;
  const std::string& bind = options_.bind_address;
  auth.loopback_hosts_only =
      bind == "127.0.0.1" || bind == "localhost" || bind == "::1" || bind.starts_with("127.");
  auth_ = std::make_unique<ApiAuth>(auth);
  add_routes();
  HttpServerOptions http;
  http.bind_address = options_.bind_address;
  http.port = options_.port;
  http.static_root = options_.web_root;
  http.ws_topic_interval = options_.push_interval;
  server_ = std::make_unique<HttpServer>(http, router_, *auth_);
}

ApiServer::~ApiServer() {
  stop();
}

void ApiServer::start() {
  if (started_) return;
  refresh(true);
  runtime_.on_committed([this](bool final) { refresh(final); });
  server_->start();
  started_ = true;
}

void ApiServer::stop() {
  if (!started_) return;
  started_ = false;
  runtime_.on_committed({});
  server_->stop();
}

std::string ApiServer::login_url() const {
  return fmt::format("{}/login?token={}", server_->url(), auth_->token());
}

std::shared_ptr<const ApiServer::Snapshot> ApiServer::snapshot() const {
  const std::lock_guard lock(mutex_);
  return snapshot_;
}

void ApiServer::refresh(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && snapshot_ && now - last_refresh_ < options_.refresh_interval) return;
  last_refresh_ = now;
  const std::shared_ptr<const Snapshot> previous = snapshot();
  auto next = std::make_shared<Snapshot>();
  next->running = runtime_.running();
  next->status = status_json(runtime_.status(), next->running);
  next->assets = json::array();
  for (const runtime::AssetPanel& a : runtime_.asset_panels())
    next->assets.push_back(asset_json(a));
  // Precisions: the known ones carried over, the others asked again (rules may arrive later).
  auto precisions = std::make_shared<Precisions>();
  if (previous) {
    for (const auto& [key, precision] : *previous->precisions) {
      if (precision) precisions->emplace(key, precision);
    }
  }
  const auto formats = [&](Asset asset, const Symbol& symbol) {
    auto [at, added] = precisions->try_emplace(instrument_key(asset, symbol));
    if (added) at->second = runtime_.precision(asset, symbol);
    return Formats(at->second);
  };
  next->positions = json::array();
  for (const runtime::PositionView& p : runtime_.positions())
    next->positions.push_back(position_json(p, formats(p.position.asset, p.position.symbol)));
  next->orders = json::array();
  for (const orders::JournalEntry& e : runtime_.open_orders())
    next->orders.push_back(order_json(e, formats(e.request.asset, e.request.symbol)));
  next->quotes = json::array();
  for (const runtime::QuoteView& q : runtime_.quotes()) {
    next->quotes.push_back(quote_json(q, formats(q.asset, q.symbol)));
    next->quote_prices[fmt::format("{}/{}", to_string(q.asset), q.symbol.canonical())] =
        q.price.to_string();
  }
  next->strategies = json::array();
  for (const strategies::StrategyRecord& r : runtime_.strategies()) {
    next->strategies.push_back(strategy_json(r));
    next->strategy_ids.push_back(r.id);
    const auto known =
        previous ? previous->histories.find(r.id) : decltype(previous->histories)::const_iterator{};
    if (previous && known != previous->histories.end() &&
        known->second.updated_at == r.updated_at) {
      next->histories.emplace(r.id, known->second);
    } else {
      next->histories.emplace(
          r.id, Snapshot::History{r.updated_at, std::make_shared<const json>(history_json(r.id))});
    }
  }
  // Trades and marks: only what is new since the previous snapshot is read.
  const int64_t last_sequence =
      previous && !previous->trades->empty() ? previous->trades->back().sequence : 0;
  std::vector<orders::ClosedTrade> new_trades = runtime_.closed_trades(last_sequence);
  if (previous && new_trades.empty()) {
    next->trades = previous->trades;
  } else {
    auto trades = previous ? std::make_shared<std::vector<orders::ClosedTrade>>(*previous->trades)
                           : std::make_shared<std::vector<orders::ClosedTrade>>();
    trades->insert(trades->end(), new_trades.begin(), new_trades.end());
    next->trades = std::move(trades);
  }
  for (const orders::ClosedTrade& t : previous ? new_trades : *next->trades)
    formats(t.asset, t.symbol);
  next->precisions = std::move(precisions);
  const TimestampMs last_mark =
      previous && !previous->marks->empty() ? previous->marks->back().time : INT64_MIN;
  std::vector<runtime::EquityMark> new_marks = runtime_.equity_marks(last_mark);
  if (previous && new_marks.empty()) {
    next->marks = previous->marks;
  } else {
    auto marks = previous ? std::make_shared<std::vector<runtime::EquityMark>>(*previous->marks)
                          : std::make_shared<std::vector<runtime::EquityMark>>();
    marks->insert(marks->end(), new_marks.begin(), new_marks.end());
    next->marks = std::move(marks);
  }
  next->epochs = runtime_.epochs();
  {
    const std::lock_guard lock(mutex_);
    snapshot_ = next;
  }

  // The pushes: the status always, the quotes that moved, each new trade (the newest 50 at
  // most: a client that missed some reloads the history), the newest equity mark.
  server_->broadcast("status", json{{"type", "status"}, {"data", next->status}}.dump());
  json moved = json::array();
  for (std::size_t i = 0; i < next->quotes.size(); ++i) {
    const json& q = next->quotes[i];
    const std::string key = q["asset"].get<std::string>() + "/" + q["symbol"].get<std::string>();
    const auto before = previous ? previous->quote_prices.find(key)
                                 : decltype(previous->quote_prices)::const_iterator{};
    if (!previous || before == previous->quote_prices.end() ||
        before->second != q["price"].get<std::string>()) {
      moved.push_back(q);
    }
  }
  if (!moved.empty())
    server_->broadcast("quotes", json{{"type", "quotes"}, {"data", moved}}.dump());
  const std::size_t first_new = new_trades.size() > 50 ? new_trades.size() - 50 : 0;
  for (std::size_t i = first_new; i < new_trades.size(); ++i) {
    const orders::ClosedTrade& t = new_trades[i];
    const Formats f(precision_in(*next->precisions, t.asset, t.symbol));
    server_->broadcast(fmt::format("trade:{}", t.sequence),
                       json{{"type", "trade"}, {"data", trade_json(t, f)}}.dump());
  }
  if (!new_marks.empty()) {
    const runtime::EquityMark& m = new_marks.back();
    json values = json::object();
    for (Asset asset : kAllAssets)
      values[text(to_string(asset))] = m.assets[static_cast<std::size_t>(asset)].to_string();
    values["total"] = m.total.to_string();
    server_->broadcast("equity",
                       json{{"type", "equity"},
                            {"data", {{"mode", "paper"}, {"time", m.time}, {"values", values}}}}
                           .dump());
  }
}

json ApiServer::history_json(const std::string& id) const {
  json history = json::array();
  for (const strategies::Transition& t : runtime_.strategy_history(id)) {
    history.push_back({{"kind", text(strategies::to_string(t.kind))},
                       {"from", text(strategies::to_string(t.from))},
                       {"to", text(strategies::to_string(t.to))},
                       {"flag", t.flag},
                       {"reason", t.reason},
                       {"time", t.time}});
  }
  return history;
}

json ApiServer::on_engine(std::function<json()> task) const {
  // The answer is given only once what the action changed is committed: a kill right after a
  // 200 cannot undo it.
  auto promise = std::make_shared<std::promise<json>>();
  auto result = std::make_shared<json>();
  std::future<json> answer = promise->get_future();
  const bool accepted = runtime_.post([result, task = std::move(task)] { *result = task(); },
                                      [promise, result](std::exception_ptr failure) {
                                        if (failure) {
                                          promise->set_exception(failure);
                                        } else {
                                          promise->set_value(std::move(*result));
                                        }
                                      });
  if (!accepted) {
    throw HttpError(503, "not_running",
                    "the session is not running: actions need a running gauntlet run");
  }
  if (answer.wait_for(options_.action_timeout) != std::future_status::ready) {
    throw HttpError(
        503, "busy",
        fmt::format("the engine did not answer within {} ms", options_.action_timeout.count()));
  }
  return answer.get();
}

json ApiServer::trades_page(const HttpRequest& request) const {
  const std::shared_ptr<const Snapshot> s = snapshot();
  std::optional<Asset> asset;
  if (const auto name = request.query_value("asset"); name && !name->empty()) {
    asset = asset_from_string(*name);
    if (!asset) throw HttpError(400, "bad_request", fmt::format("unknown asset: {}", *name));
  }
  const std::optional<std::string> strategy = request.query_value("strategy");
  const std::optional<int64_t> from = int_query(request, "from");
  const std::optional<int64_t> to = int_query(request, "to");
  const int64_t page = int_query(request, "page").value_or(1);
  const int64_t page_size = int_query(request, "page_size").value_or(100);
  if (page < 1) throw HttpError(400, "bad_request", "page must be at least 1");
  if (page_size < 1 || page_size > static_cast<int64_t>(options_.max_page_size)) {
    throw HttpError(400, "bad_request",
                    fmt::format("page_size must lie in [1, {}]", options_.max_page_size));
  }
  std::vector<const orders::ClosedTrade*> matching;
  for (auto it = s->trades->rbegin(); it != s->trades->rend(); ++it) {  // newest first
    if (asset && it->asset != *asset) continue;
    if (strategy && !strategy->empty() && it->strategy_id != *strategy) continue;
    if (from && it->exit_time < *from) continue;
    if (to && it->exit_time >= *to) continue;
    matching.push_back(&*it);
  }
  json trades = json::array();
  const std::size_t begin = static_cast<std::size_t>((page - 1) * page_size);
  for (std::size_t i = begin;
       i < matching.size() && i < begin + static_cast<std::size_t>(page_size); ++i) {
    const orders::ClosedTrade& t = *matching[i];
    trades.push_back(trade_json(t, Formats(precision_in(*s->precisions, t.asset, t.symbol))));
  }
  return {{"total", matching.size()}, {"page", page}, {"page_size", page_size}, {"trades", trades}};
}

json ApiServer::equity(const HttpRequest& request) const {
  const std::string mode = request.query_value("mode").value_or("paper");
  if (mode != "paper" && mode != "live") {
    throw HttpError(400, "bad_request", fmt::format("mode must be paper or live, was '{}'", mode));
  }
  json series = json::object();
  for (Asset asset : kAllAssets) series[text(to_string(asset))] = json::array();
  series["total"] = json::array();
  if (mode == "paper") {  // no asset trades live in a paper session: the live series are empty
    const std::shared_ptr<const Snapshot> s = snapshot();
    for (const runtime::EquityMark& m : *s->marks) {
      for (Asset asset : kAllAssets) {
        series[text(to_string(asset))].push_back(
            {{"time", m.time}, {"value", m.assets[static_cast<std::size_t>(asset)].to_string()}});
      }
      series["total"].push_back({{"time", m.time}, {"value", m.total.to_string()}});
    }
  }
  return {{"mode", mode}, {"series", series}};
}

json ApiServer::epochs() const {
  const std::shared_ptr<const Snapshot> s = snapshot();
  std::vector<capital::EquitySample> equity;
  equity.reserve(s->marks->size());
  for (const runtime::EquityMark& m : *s->marks) equity.push_back({m.time, m.total});
  std::vector<capital::TradeOutcome> outcomes;
  outcomes.reserve(s->trades->size());
  for (const orders::ClosedTrade& t : *s->trades)
    outcomes.push_back({t.exit_time, t.realized_pnl, t.fees});
  std::stable_sort(outcomes.begin(), outcomes.end(),
                   [](const auto& a, const auto& b) { return a.exit_time < b.exit_time; });
  json out = json::array();
  for (const capital::EpochStatistics& e : capital::epoch_statistics(s->epochs, equity, outcomes)) {
    out.push_back({{"number", e.epoch.number},
                   {"started_at", e.epoch.started_at},
                   {"ended_at", e.ended_at ? json(*e.ended_at) : json(nullptr)},
                   {"reason", e.epoch.reason},
                   {"equity_before_top_up", e.epoch.equity_before.to_string()},
                   {"starting_equity", e.starting_equity.to_string()},
                   {"ending_equity", e.ending_equity.to_string()},
                   {"peak_equity", e.peak_equity.to_string()},
                   {"lowest_equity", e.lowest_equity.to_string()},
                   {"max_drawdown", e.max_drawdown},
                   {"trades", e.trades},
                   {"wins", e.wins},
                   {"realized_pnl", e.realized_pnl.to_string()},
                   {"fees", e.fees.to_string()}});
  }
  return {{"epochs", out}};
}

HttpResponse ApiServer::validation(const std::string& id, bool html) const {
  const std::shared_ptr<const Snapshot> s = snapshot();
  if (std::find(s->strategy_ids.begin(), s->strategy_ids.end(), id) == s->strategy_ids.end()) {
    throw HttpError(404, "not_found", fmt::format("unknown strategy: {}", id));
  }
  const std::filesystem::path dir = options_.reports_dir / id;
  const std::filesystem::path file = dir / (html ? "report.html" : "report.json");
  if (!std::filesystem::is_regular_file(file)) {
    throw HttpError(404, "not_found", fmt::format("strategy {} has no validation report", id));
  }
  if (html) {
    HttpResponse response;
    response.content_type = "text/html; charset=utf-8";
    response.body = read_file(file);
    return response;
  }
  json report = json::parse(read_file(file), nullptr, false);
  if (report.is_discarded()) {
    throw HttpError(500, "internal_error", fmt::format("{} is not JSON", file.string()));
  }
  return json_response(
      {{"id", id}, {"report", report}, {"html", fmt::format("/validation/{}/report.html", id)}});
}

void ApiServer::add_routes() {
  auth_->add_routes(router_);
  Router& r = router_;
  const auto read = [this](auto body) {
    return [this, body](const HttpRequest& request) {
      return json_response(body(*snapshot(), request));
    };
  };
  r.add(
      "GET", "/openapi.json", [](const HttpRequest&) { return json_response(openapi_document()); },
      Access::kPublic);
  r.add("GET", "/status", read([](const Snapshot& s, const HttpRequest&) { return s.status; }),
        Access::kRead);
  r.add("GET", "/assets", read([](const Snapshot& s, const HttpRequest&) { return s.assets; }),
        Access::kRead);
  r.add("GET", "/positions",
        read([](const Snapshot& s, const HttpRequest&) { return s.positions; }), Access::kRead);
  r.add("GET", "/orders", read([](const Snapshot& s, const HttpRequest&) { return s.orders; }),
        Access::kRead);
  r.add("GET", "/quotes", read([](const Snapshot& s, const HttpRequest&) { return s.quotes; }),
        Access::kRead);
  r.add("GET", "/strategies",
        read([](const Snapshot& s, const HttpRequest&) { return s.strategies; }), Access::kRead);
  r.add(
      "GET", "/trades",
      [this](const HttpRequest& request) { return json_response(trades_page(request)); },
      Access::kRead);
  r.add(
      "GET", "/equity",
      [this](const HttpRequest& request) { return json_response(equity(request)); }, Access::kRead);
  r.add(
      "GET", "/epochs", [this](const HttpRequest&) { return json_response(epochs()); },
      Access::kRead);
  r.add(
      "GET", "/strategy/{id}",
      [this](const HttpRequest& request) {
        const std::string id = request.params.at("id");
        const std::shared_ptr<const Snapshot> s = snapshot();
        const auto at = std::find(s->strategy_ids.begin(), s->strategy_ids.end(), id);
        if (at == s->strategy_ids.end()) {
          throw HttpError(404, "not_found", fmt::format("unknown strategy: {}", id));
        }
        json strategy = s->strategies[static_cast<std::size_t>(at - s->strategy_ids.begin())];
        const auto history = s->histories.find(id);
        json transitions =
            history == s->histories.end() ? json::array() : *history->second.transitions;
        strategy["history"] = std::move(transitions);
        return json_response(strategy);
      },
      Access::kRead);
  r.add(
      "GET", "/validation/{id}",
      [this](const HttpRequest& request) { return validation(request.params.at("id"), false); },
      Access::kRead);
  r.add(
      "GET", "/validation/{id}/report.html",
      [this](const HttpRequest& request) { return validation(request.params.at("id"), true); },
      Access::kRead);

  // Actions: one core API each, on the engine thread.
  const auto act = [this](auto action) {
    return [this, action](const HttpRequest& request) {
      return json_response(on_engine([this, action, request] {
        json answer = action(request);
        refresh(true);  // the reads that follow an action see it
        return answer;
      }));
    };
  };
  r.add("POST", "/live/{asset}/enable", act([this](const HttpRequest& request) {
          return decision_json(runtime_.enable_live(asset_param(request)));
        }),
        Access::kAction);
  r.add("POST", "/live/{asset}/disable", act([this](const HttpRequest& request) {
          return decision_json(runtime_.disable_live(asset_param(request)));
        }),
        Access::kAction);
  r.add("POST", "/kill/{asset}", act([this](const HttpRequest& request) {
          return decision_json(runtime_.kill(asset_param(request)));
        }),
        Access::kAction);
  r.add("POST", "/resume/{asset}", act([this](const HttpRequest& request) {
          return decision_json(runtime_.resume(asset_param(request)));
        }),
        Access::kAction);
  r.add("POST", "/kill",
        act([this](const HttpRequest&) { return decision_json(runtime_.kill(std::nullopt)); }),
        Access::kAction);
  r.add(
      "POST", "/strategy/{id}/flag/{flag}", act([this](const HttpRequest& request) {
        return decision_json(runtime_.set_flag(request.params.at("id"), flag_param(request), true));
      }),
      Access::kAction);
  r.add("DELETE", "/strategy/{id}/flag/{flag}", act([this](const HttpRequest& request) {
          return decision_json(
              runtime_.set_flag(request.params.at("id"), flag_param(request), false));
        }),
        Access::kAction);
  r.add("POST", "/config/reload",
        act([this](const HttpRequest&) { return decision_json(runtime_.reload_config()); }),
        Access::kAction);
  r.add("PUT", "/universe/sentiment", act([this](const HttpRequest& request) {
          const nlohmann::json body = parse_json_body(request);
          if (!body.is_object()) {
            throw HttpError(400, "bad_request", "the body must be an object of symbol: score");
          }
          std::map<std::string, double> scores;
          for (const auto& [symbol, score] : body.items()) {
            if (!score.is_number()) {
              throw HttpError(400, "bad_request",
                              fmt::format("the score of {} must be a number", symbol));
            }
            scores[symbol] = score.get<double>();
          }
          return decision_json(runtime_.set_sentiment(scores));
        }),
        Access::kAction);
  r.add("POST", "/alloc/{asset}/add/100", act([this](const HttpRequest& request) {
          return decision_json(runtime_.change_allocation(asset_param(request), true));
        }),
        Access::kAction);
  r.add("POST", "/alloc/{asset}/remove/100", act([this](const HttpRequest& request) {
          return decision_json(runtime_.change_allocation(asset_param(request), false));
        }),
        Access::kAction);
}

}  // namespace gauntlet::ui
