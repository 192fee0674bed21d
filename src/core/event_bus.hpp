// File: core/event_bus.hpp
//
// EventBus: how Gauntlet's components talk (NautilusTrader's msgbus). Topics carry events
// (market data, order events) to any number of subscribers; named endpoints carry commands to
// exactly one handler. A topic or an endpoint is a C++ type: subscribe<OrderFilled>(...),
// serve<SubmitOrder>(...). Messages are immutable value structs, stored by value until
// dispatched and handed to handlers as const&.
//
// Dispatch is queued: publish() and send() only enqueue, and the bus dispatches later on the
// core io_context, so a handler never re-enters the bus and what a handler publishes runs after
// everything already queued. Messages of every type are dispatched in the one global order in
// which they were queued (FIFO across types), so a run is deterministic given its inputs. A
// posted drain dispatches at most kBatchSize messages, then posts itself again, so other work on
// the loop is not starved; drain() dispatches everything at once for SimClock-driven backtests
// and tests that do not run the loop.
//
// Hot path: each message type has a channel, found through a static type index (no map
// lookup, no RTTI), with a ring buffer of queued values; one global ring keeps the order. Both
// keep their capacity. At most one drain is posted to the io_context at a time, in memory the
// bus owns. After warm-up, publishing and dispatching allocate nothing (event_bus_test proves
// it with a counting operator new).
//
// Threading: single-threaded. Every call on an EventBus and on its Subscriptions happens on the
// thread that runs its io_context (the loop); another thread hands work to the loop with
// asio::post(loop, ...) and publishes from there. The io_context must outlive the bus; a
// Subscription and a posted drain may outlive it (they then do nothing). Asio stays out of this
// header: include core/asio.hpp in the .cpp that needs it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/check.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace gauntlet {

class EventBus;

namespace detail {

// Returns a new index at each call: 0, 1, 2, ...
std::size_t next_type_index();

// A dense index per message type, assigned on first use; it selects the type's channel.
template <class Message>
std::size_t type_index() {
  static const std::size_t index = next_type_index();
  return index;
}

// The name of a type as the compiler spells it, for messages ("gauntlet::SubmitOrder").
template <class T>
constexpr std::string_view type_name() {
  std::string_view name = __PRETTY_FUNCTION__;  // "... [with T = X; ...]" (GCC), "[T = X]"
  const std::size_t start = name.find("T = ") + 4;
  const std::size_t end = name.find_first_of(";]", start);
  return name.substr(start, end - start);
}

// A FIFO queue of values in one growing power-of-two array that never shrinks, so that after
// warm-up push_back() and pop_front() allocate nothing.
template <class T>
class RingBuffer {
 public:
  RingBuffer() = default;
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;
  ~RingBuffer() {
    while (size_ > 0) pop_front();
    if (data_ != nullptr) std::allocator<T>().deallocate(data_, capacity_);
  }

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  std::size_t capacity() const { return capacity_; }

  void push_back(T&& value) {
    if (size_ == capacity_) [[unlikely]]
      grow();
    std::construct_at(data_ + ((head_ + size_) & (capacity_ - 1)), std::move(value));
    ++size_;
  }

  // Removes and returns the oldest value; the buffer must not be empty.
  T pop_front() {
    T* front = data_ + head_;
    T value(std::move(*front));
    std::destroy_at(front);
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
    return value;
  }

 private:
  static constexpr std::size_t kInitialCapacity = 16;

  void grow() {
    const std::size_t capacity = capacity_ == 0 ? kInitialCapacity : capacity_ * 2;
    T* data = std::allocator<T>().allocate(capacity);
    for (std::size_t i = 0; i < size_; ++i) {
      T* from = data_ + ((head_ + i) & (capacity_ - 1));
      std::construct_at(data + i, std::move(*from));
      std::destroy_at(from);
    }
    if (data_ != nullptr) std::allocator<T>().deallocate(data_, capacity_);
    data_ = data;
    capacity_ = capacity;
    head_ = 0;
  }

  T* data_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

// The part of a channel the bus reaches without knowing the message type.
class ChannelBase {
 public:
  virtual ~ChannelBase() = default;
  // Dispatches the oldest queued message to the subscribers, or to the endpoint for a command.
  virtual void dispatch_front(bool command) = 0;
  // Removes the subscriber or endpoint with this id, if still there.
  virtual void remove(uint64_t id) = 0;
};

// The subscribers, the endpoint and the queued messages of one message type. Handlers live in
// their own heap slots so that one keeps its address while it runs, even when it subscribes
// (the vector grows) or unsubscribes itself (the slot is retired until the dispatch ends).
template <class Message>
class Channel final : public ChannelBase {
 public:
  using Handler = std::function<void(const Message&)>;

  void add_subscriber(uint64_t id, Handler handler) {
    subscribers_.push_back(std::make_unique<Slot>(id, std::move(handler)));
  }
  bool has_endpoint() const { return endpoint_ != nullptr; }
  void set_endpoint(uint64_t id, Handler handler) {
    endpoint_ = std::make_unique<Slot>(id, std::move(handler));
  }
  void push(Message&& message) { queue_.push_back(std::move(message)); }

  void dispatch_front(bool command) override {
    const Message message = queue_.pop_front();
    DispatchScope scope(*this);
    if (command) {
      // A command whose endpoint was released after send() is dropped.
      if (Slot* endpoint = endpoint_.get(); endpoint != nullptr) endpoint->handler(message);
      return;
    }
    // Subscribers added by these handlers are past `count`: they wait for the next message.
    const std::size_t count = subscribers_.size();
    for (std::size_t i = 0; i < count; ++i) {
      Slot& slot = *subscribers_[i];
      if (slot.active) slot.handler(message);
    }
  }

  void remove(uint64_t id) override {
    if (endpoint_ != nullptr && endpoint_->id == id) {
      if (dispatching_) retired_.push_back(std::move(endpoint_));
      endpoint_.reset();
      return;
    }
    for (auto it = subscribers_.begin(); it != subscribers_.end(); ++it) {
      if ((*it)->id != id) continue;
      if (dispatching_) {
        (*it)->active = false;  // skipped from now on, destroyed when the dispatch ends
        compact_ = true;
      } else {
        subscribers_.erase(it);
      }
      return;
    }
  }

 private:
  struct Slot {
    Slot(uint64_t id, Handler handler) : id(id), handler(std::move(handler)) {}
    uint64_t id;
    Handler handler;
    bool active = true;
  };

  // Marks the channel as dispatching; at the end destroys what handlers removed meanwhile.
  class DispatchScope {
   public:
    explicit DispatchScope(Channel& channel) : channel_(channel) { channel_.dispatching_ = true; }
    DispatchScope(const DispatchScope&) = delete;
    DispatchScope& operator=(const DispatchScope&) = delete;
    ~DispatchScope() {
      channel_.dispatching_ = false;
      channel_.retired_.clear();
      if (channel_.compact_) {
        std::erase_if(channel_.subscribers_, [](const auto& slot) { return !slot->active; });
        channel_.compact_ = false;
      }
    }

   private:
    Channel& channel_;
  };

  RingBuffer<Message> queue_;
  std::vector<std::unique_ptr<Slot>> subscribers_;
  std::unique_ptr<Slot> endpoint_;
  std::vector<std::unique_ptr<Slot>> retired_;
  bool dispatching_ = false;
  bool compact_ = false;
};

// What a posted drain and the Subscriptions hold on to (defined in event_bus.cpp).
struct BusAnchor;

}  // namespace detail

// The registration of one subscriber or endpoint: RAII and move-only. Destroying it, or calling
// unsubscribe(), removes the handler at once, even while the bus is dispatching (a handler not
// yet called for the current message is skipped). It may outlive its bus.
class [[nodiscard]] Subscription {
 public:
  Subscription() = default;
  Subscription(Subscription&& other) noexcept;
  Subscription& operator=(Subscription&& other) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  ~Subscription() { unsubscribe(); }

  // Removes the handler; does nothing the second time, on a moved-from or default handle.
  void unsubscribe();
  // Returns true while this handle holds a registration (not moved from, not unsubscribed).
  bool active() const { return id_ != 0; }

 private:
  friend class EventBus;
  Subscription(std::weak_ptr<detail::BusAnchor> anchor, std::size_t channel, uint64_t id)
      : anchor_(std::move(anchor)), channel_(channel), id_(id) {}

  std::weak_ptr<detail::BusAnchor> anchor_;
  std::size_t channel_ = 0;
  uint64_t id_ = 0;
};

class EventBus {
 public:
  // Messages one posted drain dispatches before it posts itself again.
  static constexpr std::size_t kBatchSize = 256;

  explicit EventBus(boost::asio::io_context& loop);
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Registers a handler for Event. Handlers of one type run in subscription order, on the
  // loop, for every Event dispatched while they are subscribed; one subscribed by a handler
  // misses the Event being dispatched and gets the later ones.
  template <class Event>
  Subscription subscribe(std::function<void(const Event&)> handler);

  // Queues the event; it is dispatched later on the loop (or by drain()), never inside
  // publish(), after every message queued before it.
  template <class Event>
  void publish(Event event);

  // Registers the endpoint of a command type: exactly one handler per type while the returned
  // Subscription lives. A second serve() for a served type is a broken invariant and aborts.
  template <class Command>
  Subscription serve(std::function<void(const Command&)> handler);

  // Queues the command for its endpoint, in the same global order as publish(). Returns false,
  // queuing nothing, when no endpoint serves the type. A command whose endpoint is released
  // before dispatch is dropped.
  template <class Command>
  bool send(Command command);

  // Dispatches everything queued, synchronously, including what handlers queue meanwhile, and
  // returns the number of messages dispatched. Calling it from a handler aborts (re-entry).
  std::size_t drain();

  // Returns the number of messages queued and not yet dispatched.
  std::size_t pending() const { return order_.size(); }

 private:
  friend struct detail::BusAnchor;
  friend class Subscription;

  struct Queued {
    detail::ChannelBase* channel;
    bool command;
  };

  template <class Message>
  detail::Channel<Message>& channel();

  void enqueue(detail::ChannelBase& channel, bool command) {
    order_.push_back(Queued{&channel, command});
    if (!drain_posted_) post_drain();
  }
  void post_drain();
  void run_posted_drain();
  void finish_posted_drain();
  void dispatch_next();
  void unsubscribe(std::size_t channel, uint64_t id);

  boost::asio::io_context& loop_;
  std::shared_ptr<detail::BusAnchor> anchor_;
  std::vector<std::unique_ptr<detail::ChannelBase>> channels_;  // by detail::type_index
  detail::RingBuffer<Queued> order_;
  uint64_t next_handler_id_ = 1;
  bool drain_posted_ = false;
  bool dispatching_ = false;
};

template <class Message>
detail::Channel<Message>& EventBus::channel() {
  static_assert(std::is_same_v<Message, std::remove_cvref_t<Message>>,
                "a message type is a plain value type, not a reference or const");
  static_assert(std::is_nothrow_move_constructible_v<Message>,
                "a message is a value struct with a noexcept move constructor");
  const std::size_t index = detail::type_index<Message>();
  if (index >= channels_.size()) [[unlikely]]
    channels_.resize(index + 1);
  std::unique_ptr<detail::ChannelBase>& slot = channels_[index];
  if (slot == nullptr) [[unlikely]]
    slot = std::make_unique<detail::Channel<Message>>();
  return static_cast<detail::Channel<Message>&>(*slot);
}

template <class Event>
Subscription EventBus::subscribe(std::function<void(const Event&)> handler) {
  GAUNTLET_CHECK(handler != nullptr, "subscribe<{}> was given an empty handler",
                 detail::type_name<Event>());
  const uint64_t id = next_handler_id_++;
  channel<Event>().add_subscriber(id, std::move(handler));
  return Subscription(anchor_, detail::type_index<Event>(), id);
}

template <class Event>
void EventBus::publish(Event event) {
  detail::Channel<Event>& target = channel<Event>();
  target.push(std::move(event));
  enqueue(target, false);
}

template <class Command>
Subscription EventBus::serve(std::function<void(const Command&)> handler) {
  GAUNTLET_CHECK(handler != nullptr, "serve<{}> was given an empty handler",
                 detail::type_name<Command>());
  detail::Channel<Command>& endpoint = channel<Command>();
  GAUNTLET_CHECK(!endpoint.has_endpoint(),
                 "a second endpoint for command {}: a command type has exactly one",
                 detail::type_name<Command>());
  const uint64_t id = next_handler_id_++;
  endpoint.set_endpoint(id, std::move(handler));
  return Subscription(anchor_, detail::type_index<Command>(), id);
}

template <class Command>
bool EventBus::send(Command command) {
  detail::Channel<Command>& endpoint = channel<Command>();
  if (!endpoint.has_endpoint()) return false;
  endpoint.push(std::move(command));
  enqueue(endpoint, true);
  return true;
}

}  // namespace gauntlet
