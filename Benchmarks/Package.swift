// swift-tools-version:6.1
import PackageDescription

// Benchmarks live in their own package so that the main build (and CI) never compiles
// package-benchmark. Run from this directory:
//   swift package benchmark                      # the suites in Benchmarks/BackpropBenchmarks
//   swift run -c release epoch-bench --backend manual --epochs 3
// ARC metrics are left out: the runtime interposer they need crashes on this toolchain,
// so the suites record wall clock, throughput and malloc counts only.
let package = Package(
    name: "BackpropBenchmarks",
    dependencies: [
        .package(name: "Backprop", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The default run's data set-up, shared by the three below.
        .target(
            name: "BenchmarkSupport",
            dependencies: [.product(name: "Training", package: "Backprop")]
        ),
        .executableTarget(
            name: "BackpropBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ArrayKit", package: "Backprop"),
                .product(name: "AutoGrad", package: "Backprop"),
                .product(name: "Training", package: "Backprop"),
            ],
            path: "Benchmarks/BackpropBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Prints seconds per training epoch as JSON, for reference/compare.py.
        .executableTarget(
            name: "epoch-bench",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "ArrayKit", package: "Backprop"),
                .product(name: "AutoGrad", package: "Backprop"),
                .product(name: "Training", package: "Backprop"),
            ]
        ),
        // Nanoseconds per parameter of the optimizer updates, and a digest of their bits.
        .executableTarget(
            name: "update-bench",
            dependencies: [.product(name: "ArrayKit", package: "Backprop")]
        ),
        // Seconds per epoch of each op of an ArrayKit training step (Docs/Performance.md).
        .executableTarget(
            name: "step-phases",
            dependencies: [
                "BenchmarkSupport",
                .product(name: "ArrayKit", package: "Backprop"),
                .product(name: "Training", package: "Backprop"),
            ]
        ),
    ]
)
