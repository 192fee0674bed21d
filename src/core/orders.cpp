#include "core/orders.hpp"

namespace gauntlet {

std::string_view Decision::code() const {
  const std::string_view text = reason;
  return text.substr(0, text.find(':'));
}

std::string_view to_string(TriggerPrice trigger) {
  return trigger == TriggerPrice::kMark ? "mark" : "last";
}

namespace {
constexpr std::pair<OrderStatus, std::string_view> kStatusNames[] = {
    {OrderStatus::kPendingNew, "pending_new"},
    {OrderStatus::kNew, "new"},
    {OrderStatus::kPartiallyFilled, "partially_filled"},
    {OrderStatus::kFilled, "filled"},
    {OrderStatus::kCancelled, "cancelled"},
    {OrderStatus::kRejected, "rejected"},
};
}  // namespace

std::string_view to_string(OrderStatus status) {
  for (const auto& [value, name] : kStatusNames) {
    if (value == status) return name;
  }
  return "unknown";
}

std::optional<OrderStatus> order_status_from_string(std::string_view text) {
  for (const auto& [value, name] : kStatusNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool is_terminal(OrderStatus status) {
  return status == OrderStatus::kFilled || status == OrderStatus::kCancelled ||
         status == OrderStatus::kRejected;
}

Decimal Fill::base_fee_value() const {
  return base_fee.is_zero() ? Decimal::zero() : base_fee.mul(price, Rounding::kHalfEven);
}

Decimal Fill::held_quantity() const {
  return side == OrderSide::kBuy ? quantity - base_fee : quantity + base_fee;
}

}  // namespace gauntlet
