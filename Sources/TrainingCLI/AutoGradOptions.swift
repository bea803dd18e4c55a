import ArgumentParser
import Training

extension OptimizerChoice: ExpressibleByArgument {}
extension ScheduleChoice: ExpressibleByArgument {}

/// What `train-autograd` adds to the shared options: the parts of the PyTorch training
/// loop the manual backend does not have.
///
/// ```sh
/// train-autograd --batch-norm --optimizer adam --lr 0.001 --schedule cosine
/// ```
public struct AutoGradOptions: ParsableArguments {
    @Flag(help: "A BatchNorm1d after every hidden Linear (before the activation).")
    public var batchNorm = false

    @Option(name: .customLong("dropout"),
            help: "Dropout probability after every hidden activation, in [0, 1); default 0 (none), or the --init-from file's.")
    var givenDropout: Double?

    /// `--dropout`, 0 when not given.
    public var dropout: Double { givenDropout ?? 0 }

    @Option(help: "sgd, adam or adamw (Adam with decoupled weight decay).")
    public var optimizer: OptimizerChoice = .sgd

    @Option(help: "SGD momentum, in [0, 1).")
    public var momentum: Double = 0

    @Option(help: "L2 weight decay (coupled, as torch.optim's weight_decay), ≥ 0.")
    public var weightDecay: Double = 0

    @Option(help: ArgumentHelp("Learning-rate schedule: constant, step (halve every fifth of the run), cosine, onecycle, "
        + "exponential (×gamma per epoch), linear (warm up from a third of the rate over 5 epochs), "
        + "plateau (×0.1 after more than patience epochs without a lower validation loss)."))
    public var schedule: ScheduleChoice = .constant

    @Option(help: "The factor per epoch of --schedule exponential, in (0, 1].")
    public var gamma: Double = 0.9

    @Option(help: "Epochs without a lower validation loss that --schedule plateau tolerates, ≥ 0.")
    public var patience: Int = 2

    @Option(help: ArgumentHelp("Measure the sharpness λ_max of the training loss (the largest eigenvalue of its Hessian) "
        + "at initialization and after every epoch, on the first N training samples (eval mode), by power iteration "
        + "on Hessian-vector products; writes sharpness.svg with the stability bound 2/lr.", valueName: "N"))
    public var sharpness: Int?

    public init() {}

    public mutating func validate() throws {
        guard momentum.isFinite && momentum >= 0 && momentum < 1 else {
            throw ValidationError("--momentum: \(momentum) is outside [0, 1); e.g. --momentum 0.9")
        }
        guard weightDecay.isFinite && weightDecay >= 0 else {
            throw ValidationError("--weight-decay: \(weightDecay) must be a finite number ≥ 0, e.g. --weight-decay 5e-4")
        }
        if optimizer != .sgd && momentum != 0 {
            throw ValidationError("--momentum applies to --optimizer sgd; \(optimizer.displayName) keeps its own moment estimates (β = 0.9, 0.999)")
        }
        guard dropout.isFinite && dropout >= 0 && dropout < 1 else {
            throw ValidationError("--dropout: \(dropout) is outside [0, 1); e.g. --dropout 0.2")
        }
        guard gamma.isFinite && gamma > 0 && gamma <= 1 else {
            throw ValidationError("--gamma: \(gamma) is outside (0, 1]; e.g. --gamma 0.9 (with --schedule exponential)")
        }
        guard patience >= 0 else {
            throw ValidationError("--patience: \(patience) must be ≥ 0, e.g. --patience 2 (with --schedule plateau)")
        }
        try Self.validate(sharpness: sharpness)
    }

    /// `--sharpness N` needs at least one sample (whether there are N is checked with the data).
    static func validate(sharpness: Int?) throws {
        if let sharpness, sharpness < 1 {
            throw ValidationError("--sharpness: \(sharpness) is not a number of samples; give a positive number of "
                + "training samples to measure the loss on, e.g. --sharpness 1000")
        }
    }

    /// The settings; dropout's and each schedule's own only when used.
    var config: [String: ConfigValue] {
        var config: [String: ConfigValue] = [
            "batch_norm": .bool(batchNorm), "optimizer": .string(optimizer.rawValue), "momentum": .number(momentum),
            "weight_decay": .number(weightDecay), "schedule": .string(schedule.rawValue)]
        if dropout > 0 { config["dropout"] = .number(dropout) }
        if schedule == .exponential { config["gamma"] = .number(gamma) }
        if schedule == .plateau { config["patience"] = .integer(patience) }
        if let sharpness { config["sharpness"] = .integer(sharpness) }
        return config
    }
}
