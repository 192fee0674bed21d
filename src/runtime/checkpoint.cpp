// File: runtime/checkpoint.cpp
//
// The runtime's checkpoint (internal/runtime_impl.hpp): every in-memory ledger a killed session
// needs to resume exactly (the cursor and the housekeeping times, the paper venue, risk,
// exploration quotas, scheduler fairness, the universes and what is watched, the confirmations
// waiting, the simulated market's start), as one JSON value in the runtime state, written in
// the transaction of each committed batch of steps and read back at start.
//
// Threading: the engine thread.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/exceptions.hpp"
#include "runtime/internal/runtime_impl.hpp"

namespace gauntlet::runtime {
namespace {

using nlohmann::json;

json signal_json(const strategies::Signal& s) {
  return {{"side", std::string(to_string(s.side))}, {"strength", s.strength},
          {"stop_loss", s.stop_loss.to_string()},   {"take_profit", s.take_profit.to_string()},
          {"close", s.close.to_string()},           {"reason", s.reason}};
}

strategies::Signal signal_from(const json& j) {
  strategies::Signal s;
  const auto side = order_side_from_string(j.at("side").get<std::string>());
  if (!side) throw StateError("checkpoint: a pending signal has an unknown side");
  s.side = *side;
  s.strength = j.at("strength").get<double>();
  s.stop_loss = Decimal::parse(j.at("stop_loss").get<std::string>());
  s.take_profit = Decimal::parse(j.at("take_profit").get<std::string>());
  s.close = Decimal::parse(j.at("close").get<std::string>());
  s.reason = j.at("reason").get<std::string>();
  return s;
}

}  // namespace

void AppRuntime::Impl::save_checkpoint() {
  json j;
  j["cursor"] = cursor;
  j["steps"] = steps;
  j["next_housekeeping"] = next_housekeeping;
  j["next_reconcile"] = next_reconcile;
  j["sim_broker"] = broker->save_state();
  j["risk"] = risk->save_state();
  j["exploration"] = exploration->save_state();
  j["scheduler"] = scheduler->save_state();
  json universes = json::object();
  for (const auto& [asset, m] : markets)
    universes[std::string(to_string(asset))] = m.universe.save_state();
  j["universe"] = universes;
  json watched = json::object();
  for (const auto& [asset, m] : markets)
    watched[std::string(to_string(asset))] =
        std::vector<std::string>(m.watched.begin(), m.watched.end());
  j["watched"] = watched;
  json waiting = json::array();
  for (const auto& [key, p] : pending) {
    json signals = json::array();
    for (const auto& [id, confirmer] : p.signals) {
      if (confirmer.pending_signal())
        signals.push_back({{"id", id}, {"signal", signal_json(*confirmer.pending_signal())}});
    }
    waiting.push_back({{"market", key}, {"primary_close", p.primary_close}, {"signals", signals}});
  }
  j["pending"] = waiting;
  if (simulated) j["simulated_start"] = simulated->market().config().start;
  runtime_state->set(kCheckpointKey, j.dump());
}

bool AppRuntime::Impl::load_checkpoint() {
  const std::optional<std::string> text = runtime_state->get(kCheckpointKey);
  if (!text) return false;
  const json j = json::parse(*text, nullptr, false);
  if (j.is_discarded()) throw StateError("runtime checkpoint: not JSON");
  try {
    cursor = j.at("cursor").get<TimestampMs>();
    steps = j.at("steps").get<uint64_t>();
    next_housekeeping = j.at("next_housekeeping").get<TimestampMs>();
    next_reconcile = j.at("next_reconcile").get<TimestampMs>();
    broker->restore_state(j.at("sim_broker").get<std::string>());
    // Restored after router->recover(), which puts the open positions back on the risk
    // ledger: the checkpoint's ledger already counts them.
    saved_risk = j.at("risk").get<std::string>();
    exploration->restore_state(j.at("exploration").get<std::string>());
    scheduler->restore_state(j.at("scheduler").get<std::string>());
    for (auto& [asset, m] : markets) {
      const std::string name(to_string(asset));
      if (j.at("universe").contains(name)) {
        m.universe.restore_state(j.at("universe").at(name).get<std::string>());
      }
      if (j.at("watched").contains(name)) {
        const auto symbols = j.at("watched").at(name).get<std::vector<std::string>>();
        m.watched = std::set<std::string>(symbols.begin(), symbols.end());
      }
    }
    for (const json& p : j.at("pending")) {
      Pending& entry = pending[p.at("market").get<std::string>()];
      entry.primary_close = p.at("primary_close").get<TimestampMs>();
      for (const json& s : p.at("signals")) {
        strategies::SignalConfirmer confirmer;
        confirmer.propose(signal_from(s.at("signal")));
        entry.signals.emplace_back(s.at("id").get<std::string>(), std::move(confirmer));
      }
    }
  } catch (const json::exception& error) {
    throw StateError(fmt::format("runtime checkpoint: {}", error.what()));
  }
  return true;
}

}  // namespace gauntlet::runtime
