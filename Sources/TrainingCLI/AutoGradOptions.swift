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

    @Option(help: "sgd or adam.")
    public var optimizer: OptimizerChoice = .sgd

    @Option(help: "SGD momentum, in [0, 1).")
    public var momentum: Double = 0

    @Option(help: "L2 weight decay (coupled, as torch.optim's weight_decay), ≥ 0.")
    public var weightDecay: Double = 0

    @Option(help: "Learning-rate schedule: constant, step (halve every fifth of the run), cosine, onecycle.")
    public var schedule: ScheduleChoice = .constant

    public init() {}

    public mutating func validate() throws {
        guard momentum.isFinite && momentum >= 0 && momentum < 1 else {
            throw ValidationError("--momentum: \(momentum) is outside [0, 1); e.g. --momentum 0.9")
        }
        guard weightDecay.isFinite && weightDecay >= 0 else {
            throw ValidationError("--weight-decay: \(weightDecay) must be a finite number ≥ 0, e.g. --weight-decay 5e-4")
        }
        if optimizer == .adam && momentum != 0 {
            throw ValidationError("--momentum applies to --optimizer sgd; Adam keeps its own moment estimates (β = 0.9, 0.999)")
        }
    }

    var config: [String: String] {
        ["batch_norm": batchNorm ? "true" : "false", "optimizer": optimizer.rawValue,
         "momentum": compactText(momentum), "weight_decay": compactText(weightDecay), "schedule": schedule.rawValue]
    }
}
