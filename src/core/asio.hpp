// File: core/asio.hpp
//
// The only header of Gauntlet that includes Boost.Asio; everything else reaches Asio through
// it (the layering test rejects a direct #include <boost/asio/...>). It exists for one pitfall:
// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>, which breaks
// under GCC 12 unless <utility> comes first. It also keeps the list of Asio pieces the engine
// uses in one place, and names them gauntlet::asio.
//
// Asio is slow to compile (about 30 s per translation unit with Beast at -O2): include this
// header from .cpp files only, and forward-declare boost::asio::io_context in headers.
//
// Threading: declarations only; see Asio's own rules for each type.
#pragma once

// <utility> must stay before the Asio headers (see above).
// clang-format off
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
// clang-format on

namespace gauntlet {
namespace asio = boost::asio;
}  // namespace gauntlet
