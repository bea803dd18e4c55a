import ArrayKit
import AutoGrad
import Testing

/// The tests of PyTorchBatchNormAndScheduleTests.swift, one nested suite per part.
@Suite struct PyTorchBatchNormAndScheduleTests {}

extension PyTorchBatchNormAndScheduleTests {
    /// AutoGrad's `BatchNorm1d` in train mode against `torch.nn.BatchNorm1d`: output, the
    /// gradients of input, weight and bias, the running statistics after one and two
    /// batches (unbiased variance, momentum 0.1), the batch counter and eval-mode output.
    @Suite struct PyTorchBatchNormTests {
        func batchNorm<S: NDScalar>(_: S.Type) throws -> Double {
            let file = try Fixture.read("batchnorm.safetensors")
            let features = try #require(Int(file.meta("features")))
            let norm = nn.BatchNorm1d<S>(features, eps: try file.metaDouble("eps"), momentum: try file.metaDouble("momentum"))
            let weight = try #require(norm.weight), bias = try #require(norm.bias)
            weight.data = try file.array(named: "weight")
            bias.data = try file.array(named: "bias")
            let x = Tensor<S>(try file.array(named: "x"), requiresGrad: true)
            let upstream = Tensor<S>(try file.array(named: "grad_output"))
            norm.train()
            let y = norm(x)
            (y * upstream).sum().backward()
            let limit = tolerance(S.self)
            func ref(_ name: String) throws -> NDArray<S> { try file.array(named: name) }
            var pairs: [(name: String, value: NDArray<S>, reference: NDArray<S>)] = [
                ("output", y.data, try ref("output")),
                ("∂/∂x", try #require(x.grad), try ref("grad.x")),
                ("∂/∂weight", try #require(weight.grad), try ref("grad.weight")),
                ("∂/∂bias", try #require(bias.grad), try ref("grad.bias")),
                ("running_mean after 1", norm.runningMean.data, try ref("running_mean.1")),
                ("running_var after 1", norm.runningVar.data, try ref("running_var.1")),
            ]
            _ = norm(Tensor(try ref("x2")))
            pairs += [("running_mean after 2", norm.runningMean.data, try ref("running_mean.2")),
                      ("running_var after 2", norm.runningVar.data, try ref("running_var.2"))]
            #expect(Int64(norm.numBatchesTracked) == (try file.integers(named: "num_batches_tracked").values.first))
            norm.eval()
            pairs.append(("eval output", withNoGrad { norm(x) }.data, try ref("eval_output")))
            return expectClose(pairs, within: limit, "BatchNorm1d \(S.self) vs PyTorch")
        }

        @Test func trainModeOutputGradientsAndRunningStatisticsMatchPyTorch() throws {
            report("BatchNorm1d, Double, vs PyTorch", try batchNorm(Double.self))
            report("BatchNorm1d, Float (from float64 fixture), vs PyTorch", try batchNorm(Float.self))
        }
    }
}

extension PyTorchBatchNormAndScheduleTests {
    /// The learning-rate schedules against the rates `torch.optim.lr_scheduler` reports
    /// (`get_last_lr()` after 0, 1, 2, … steps; OneCycleLR's momentum too).
    @Suite struct PyTorchScheduleTests {
        static let tolerance = 1e-12

        func expectSchedule(_ key: String, _ value: (Int) -> Double) throws {
            let reference: NDArray<Double> = try Fixture.read("schedules.safetensors").array(named: key)
            #expect(reference.count > 10, "\(key): too few steps in the fixture")
            let ours = NDArray<Double>((0..<reference.count).map(value), shape: reference.shape)
            let difference = relativeDifference(ours, reference)
            #expect(difference <= Self.tolerance, "\(key): differs from PyTorch by \(difference)")
            report("schedule \(key) over \(reference.count) steps", difference)
        }

        @Test func stepExponentialLinearAndCosineMatchPyTorch() throws {
            try expectSchedule("step_lr") { StepLR(baseLearningRate: 0.1, stepSize: 30, gamma: 0.1).learningRate(at: $0) }
            try expectSchedule("exponential_lr") { ExponentialLR(baseLearningRate: 0.1, gamma: 0.95).learningRate(at: $0) }
            try expectSchedule("linear_lr") {
                LinearLR(baseLearningRate: 0.1, startFactor: 0.25, totalSteps: 10).learningRate(at: $0)
            }
            try expectSchedule("cosine_lr") {
                CosineAnnealingLR(baseLearningRate: 0.1, maxSteps: 100, minimumLearningRate: 1e-3).learningRate(at: $0)
            }
        }

        @Test func oneCycleRateAndMomentumMatchPyTorch() throws {
            let twoPhase = OneCycleLR(maxLearningRate: 0.1, totalSteps: 100)
            try expectSchedule("one_cycle_lr") { twoPhase.learningRate(at: $0) }
            try expectSchedule("one_cycle_momentum") { twoPhase.momentum(at: $0) ?? .nan }
            let threePhase = OneCycleLR(maxLearningRate: 0.2, totalSteps: 50, pctStart: 0.25, annealing: .linear,
                                        threePhase: true)
            try expectSchedule("one_cycle_three_phase_lr") { threePhase.learningRate(at: $0) }
            try expectSchedule("one_cycle_three_phase_momentum") { threePhase.momentum(at: $0) ?? .nan }
        }
    }
}
