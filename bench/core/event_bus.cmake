# Benchmarks of the event_bus module: bus publish+dispatch against direct std::function calls.
gauntlet_bench(event_bus SRCS event_bus_bench.cpp DEPS event_bus)
