# Tests of the event_bus module (core/event_bus, core/wall_clock). event_bus_test replaces the
# global operator new to count allocations, so it stays its own executable.
gauntlet_test(event_bus_test SRCS event_bus_test.cpp DEPS event_bus LIBS gauntlet_counting_allocator)
gauntlet_test(wall_clock_test SRCS wall_clock_test.cpp DEPS event_bus)
