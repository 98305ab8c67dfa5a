# Makefile -- shortcuts over CMake.  `make check` is what CI runs.
JOBS ?= $(shell nproc)

.PHONY: all demo check test asan fuzz bench clean

all:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j$(JOBS)

demo: all
	./build/picket demo

# Strict build (-Werror) and tests, then the same tests under ASan+UBSan.
check:
	bash tests/run.sh

fuzz:
	bash fuzz/run.sh

bench:
	bash bench/run.sh

clean:
	rm -rf build build-asan build-fuzz build-bench
