// epoch-bench: one training run (Fashion-MNIST, 55,000 training samples in file order,
// validation the last 5,000) of one backend, printed as one JSON line with the seconds of
// the load and of every training epoch, in the shape Benchmarks/reference/common.py prints
// for NumPy and PyTorch, so compare.py and matrix.py read all of them alike. By default
// the assignment's network: 784-128-10, ReLU, batch 128, SGD 0.1.
//
//   swift run -c release epoch-bench --backend manual --epochs 3
//   swift run -c release epoch-bench --backend autograd --threads 2 --data-dir DIR
//   swift run -c release epoch-bench --backend autograd --hidden 512,512 --batch-norm \
//       --optimizer adam --lr 0.001 --warmup-batches 20 --epochs 1
//
// `--warmup-batches N` trains N batches before the first timed epoch (so one timed epoch
// is enough); `--batches N` times only the first N batches of each epoch (a quick estimate).
//
// Written without ArgumentParser on purpose: it must build in seconds next to the suites.
import ArrayKit
import AutoGrad
import BenchmarkSupport
import Foundation
import Training

struct Options {
    var backend = "manual"
    var epochs = 3
    var dataDirectory: String?
    var threads: Int?
    var seed: UInt64 = 42
    var hidden = [128]
    var batchSize = 128
    var optimizer = OptimizerChoice.sgd
    var learningRate = 0.1
    var momentum = 0.0
    var batchNorm = false
    var warmupBatches = 0
    var batches: Int?

    init(_ arguments: [String]) {
        var rest = arguments[...]
        func value(_ flag: String) -> String {
            guard let v = rest.popFirst() else { fail("\(flag) needs a value") }
            return v
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--backend": backend = value(flag)
            case "--epochs": epochs = Int(value(flag)) ?? { fail("--epochs takes a whole number") }()
            case "--data-dir": dataDirectory = value(flag)
            case "--threads": threads = Int(value(flag)) ?? { fail("--threads takes a whole number") }()
            case "--seed": seed = UInt64(value(flag)) ?? { fail("--seed takes a whole number") }()
            case "--hidden":
                hidden = value(flag).split(separator: ",").map { Int($0) ?? { fail("--hidden takes widths like 512,256") }() }
            case "--batch-size": batchSize = Int(value(flag)) ?? { fail("--batch-size takes a whole number") }()
            case "--optimizer":
                optimizer = OptimizerChoice(rawValue: value(flag)) ?? { fail("--optimizer is sgd, adam or adamw") }()
            case "--lr": learningRate = Double(value(flag)) ?? { fail("--lr takes a number") }()
            case "--momentum": momentum = Double(value(flag)) ?? { fail("--momentum takes a number") }()
            case "--batch-norm": batchNorm = true
            case "--warmup-batches": warmupBatches = Int(value(flag)) ?? { fail("--warmup-batches takes a whole number") }()
            case "--batches": batches = Int(value(flag)) ?? { fail("--batches takes a whole number") }()
            case "-h", "--help":
                print("""
                    usage: epoch-bench [--backend manual|autograd] [--epochs N] [--threads N] [--data-dir DIR] [--seed N]
                                       [--hidden W1,W2,…] [--batch-size N] [--optimizer sgd|adam|adamw] [--lr X]
                                       [--momentum X] [--batch-norm] [--warmup-batches N] [--batches N]
                    """)
                exit(0)
            default: fail("unknown option \(flag); see --help")
            }
        }
        guard ["manual", "autograd"].contains(backend) else { fail("--backend is manual or autograd, got \(backend)") }
        guard epochs >= 1 else { fail("--epochs must be at least 1") }
        guard batchSize >= 1, hidden.allSatisfy({ $0 >= 1 }) else { fail("--batch-size and --hidden must be positive") }
        if backend == "manual", optimizer != .sgd || momentum != 0 || batchNorm {
            fail("the manual backend trains with plain SGD and no batch norm")
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("epoch-bench: \(message)\n".utf8))
    exit(2)
}

/// CPU seconds of the whole process: unlike wall time, not inflated while other processes
/// hold the cores (with one BLAS thread, the same as wall time on an idle machine).
func processCPUSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
do { try BLAS.load() } catch { fail("\(error)") }
Memory.keepFreedMemory()    // as the command-line tools do
if let threads = options.threads { BLAS.threads = threads }

let loadStart = ContinuousClock.now
let dataset: Dataset
do { dataset = try DefaultRun.loadDataset(from: options.dataDirectory) } catch { fail("\(error)") }
let loadSeconds = seconds(since: loadStart)

let split: DataSplit, loader: DataLoader
do { (split, loader) = try DefaultRun.training(dataset, batchSize: options.batchSize, seed: options.seed) } catch { fail("\(error)") }
let validation = DataLoader.evaluation(split.validation, normalization: split.normalization)

let model: any Classifier = options.backend == "manual"
    ? ManualClassifier(inputs: 784, hidden: options.hidden, classes: 10, learningRate: options.learningRate, seed: options.seed)
    : AutoGradClassifier(inputs: 784, hidden: options.hidden, classes: 10, batchNorm: options.batchNorm,
                         optimizer: options.optimizer, learningRate: options.learningRate, momentum: options.momentum,
                         epochs: options.epochs, stepsPerEpoch: loader.batchCount, seed: options.seed)
let timedBatches = min(options.batches ?? loader.batchCount, loader.batchCount)

// The warm-up draws its batches from an order of its own (epoch index `epochs`, which no
// timed epoch uses), so the timed epochs see the same batches with or without it.
model.beginEpoch(1)
for batch in loader.batches(epoch: options.epochs).prefix(options.warmupBatches) {
    _ = model.trainStep(batch.features, labels: batch.labels)
}

var epochs: [[String: Any]] = []
for epoch in 1...options.epochs {
    model.beginEpoch(epoch)
    let start = ContinuousClock.now, cpuStart = processCPUSeconds()
    var lossSum = 0.0, samples = 0
    for batch in loader.batches(epoch: epoch - 1).prefix(timedBatches) {
        let step = model.trainStep(batch.features, labels: batch.labels)
        lossSum += step.loss * Double(batch.count)
        samples += batch.count
    }
    let epochSeconds = seconds(since: start), cpuSeconds = processCPUSeconds() - cpuStart
    // Outside the timed part: a check that the run learns, so a fast but broken build shows.
    var correct = 0
    for batch in validation.batches() {
        let result = model.evaluate(batch.features, labels: batch.labels)
        correct += zip(result.predictions, batch.labels).filter { $0 == $1 }.count
    }
    epochs.append(["epoch": epoch, "seconds": epochSeconds, "cpu_seconds": cpuSeconds, "train_loss": lossSum / Double(samples),
                   "val_accuracy": Double(correct) / Double(validation.images.count)])
}

let report: [String: Any] = [
    "framework": options.backend == "manual" ? "arraykit" : "autograd",
    "load_seconds": loadSeconds,
    "epoch_seconds": epochs.map { $0["seconds"]! },
    "epoch_cpu_seconds": epochs.map { $0["cpu_seconds"]! },
    "epochs": epochs,
    "blas": BLAS.summary,
    "batches": timedBatches,
    "steps_per_epoch": loader.batchCount,
]
let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
