#include "core/event_bus.hpp"

#include <atomic>
#include <cstddef>
#include <memory>

#include "core/asio.hpp"
#include "core/check.hpp"

namespace gauntlet {
namespace detail {

std::size_t next_type_index() {
  static std::atomic<std::size_t> next{0};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// Shared by the bus, its posted drain and its Subscriptions: `bus` while the bus lives (null
// after), and the memory of the one drain handler in flight, so that posting allocates nothing.
// A posted drain keeps the anchor alive, so Asio may free the handler memory after the bus is
// gone (when the io_context is destroyed or runs the drain later).
struct BusAnchor {
  static constexpr std::size_t kHandlerMemorySize = 256;

  explicit BusAnchor(EventBus* owner) : bus(owner) {}

  void run_drain() {
    if (bus != nullptr) bus->run_posted_drain();
  }

  EventBus* bus;
  bool handler_memory_in_use = false;
  alignas(std::max_align_t) std::byte handler_memory[kHandlerMemorySize];
};

}  // namespace detail

namespace {

// Gives Asio the anchor's handler memory for the operation wrapping a posted drain; only one
// drain is in flight at a time, so the memory is free whenever one is posted. Anything else
// (a bigger request, a second one) falls back to the heap.
template <class T>
class DrainAllocator {
 public:
  using value_type = T;

  explicit DrainAllocator(detail::BusAnchor* anchor) noexcept : anchor_(anchor) {}
  template <class U>
  DrainAllocator(const DrainAllocator<U>& other) noexcept : anchor_(other.anchor()) {}

  T* allocate(std::size_t count) {
    if (!anchor_->handler_memory_in_use && count * sizeof(T) <= sizeof(anchor_->handler_memory) &&
        alignof(T) <= alignof(std::max_align_t)) {
      anchor_->handler_memory_in_use = true;
      return reinterpret_cast<T*>(anchor_->handler_memory);
    }
    return std::allocator<T>().allocate(count);
  }

  void deallocate(T* pointer, std::size_t count) noexcept {
    if (reinterpret_cast<std::byte*>(pointer) == anchor_->handler_memory) {
      anchor_->handler_memory_in_use = false;
      return;
    }
    std::allocator<T>().deallocate(pointer, count);
  }

  detail::BusAnchor* anchor() const noexcept { return anchor_; }

  friend bool operator==(const DrainAllocator& left, const DrainAllocator& right) noexcept {
    return left.anchor_ == right.anchor_;
  }

 private:
  detail::BusAnchor* anchor_;
};

// The completion handler of a posted drain; Asio finds its allocator through allocator_type.
class DrainHandler {
 public:
  using allocator_type = DrainAllocator<void>;

  explicit DrainHandler(std::shared_ptr<detail::BusAnchor> anchor) : anchor_(std::move(anchor)) {}

  allocator_type get_allocator() const noexcept { return allocator_type(anchor_.get()); }
  void operator()() { anchor_->run_drain(); }

 private:
  std::shared_ptr<detail::BusAnchor> anchor_;
};

}  // namespace

Subscription::Subscription(Subscription&& other) noexcept
    : anchor_(std::move(other.anchor_)),
      channel_(other.channel_),
      id_(std::exchange(other.id_, 0)) {}

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    unsubscribe();
    anchor_ = std::move(other.anchor_);
    channel_ = other.channel_;
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void Subscription::unsubscribe() {
  if (id_ == 0) return;
  const uint64_t id = std::exchange(id_, 0);
  if (const auto anchor = anchor_.lock(); anchor != nullptr && anchor->bus != nullptr) {
    anchor->bus->unsubscribe(channel_, id);
  }
  anchor_.reset();
}

EventBus::EventBus(asio::io_context& loop)
    : loop_(loop), anchor_(std::make_shared<detail::BusAnchor>(this)) {}

EventBus::~EventBus() {
  GAUNTLET_CHECK(!dispatching_, "an EventBus was destroyed by one of its own handlers");
  anchor_->bus = nullptr;
}

std::size_t EventBus::drain() {
  GAUNTLET_CHECK(!dispatching_,
                 "EventBus::drain() was called from a handler; a handler never re-enters the bus");
  std::size_t count = 0;
  while (!order_.empty()) {
    dispatch_next();
    ++count;
  }
  return count;
}

void EventBus::post_drain() {
  drain_posted_ = true;
  asio::post(loop_, DrainHandler(anchor_));
}

void EventBus::run_posted_drain() {
  // drain_posted_ stays true during the batch: what handlers queue meanwhile does not post.
  try {
    for (std::size_t i = 0; i < kBatchSize && !order_.empty(); ++i) dispatch_next();
  } catch (...) {
    finish_posted_drain();
    throw;
  }
  finish_posted_drain();
}

void EventBus::finish_posted_drain() {
  drain_posted_ = false;
  if (!order_.empty()) post_drain();
}

void EventBus::dispatch_next() {
  GAUNTLET_CHECK(!dispatching_,
                 "the EventBus was re-entered: a handler ran its io_context while dispatching");
  const Queued next = order_.pop_front();
  dispatching_ = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{dispatching_};
  next.channel->dispatch_front(next.command);
}

void EventBus::unsubscribe(std::size_t channel, uint64_t id) {
  channels_[channel]->remove(id);
}

}  // namespace gauntlet
