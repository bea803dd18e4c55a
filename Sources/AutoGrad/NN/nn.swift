/// The layers, losses and their base class, as PyTorch's `torch.nn`: ``nn/Module``,
/// ``nn/Linear``, ``nn/ReLU``, ``nn/ELU``, ``nn/Dropout``, ``nn/BatchNorm1d``,
/// ``nn/Sequential``, ``nn/MLP``, ``nn/CrossEntropyLoss`` and ``nn/MSELoss``.
///
/// ArrayKit's layers with hand-written backward passes keep the plain names (`Linear`,
/// `ReLU`, `MLP`, …), so a file that imports both libraries reads `Linear` for the
/// hand-written layer and `nn.Linear` for the one trained through the tape.
///
/// ```swift
/// import AutoGrad
///
/// var rng = SplitMix64(seed: 42)
/// let model = nn.Sequential<Float> {
///     nn.Linear(2, 8, isInputLayer: true, using: &rng)
///     nn.ReLU()
///     nn.Linear(8, 1, using: &rng)
/// }
/// ```
public enum nn {}
