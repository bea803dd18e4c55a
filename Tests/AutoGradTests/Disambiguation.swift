import AutoGrad
import ArrayKit
typealias NDScalarAlias = NDScalar

// ArrayKit and AutoGrad both name their layers as PyTorch and NumPy users know them;
// these tests mean AutoGrad's.
typealias MLP<S: NDScalarAlias> = AutoGrad.MLP<S>
typealias Linear<S: NDScalarAlias> = AutoGrad.Linear<S>
typealias ReLU<S: NDScalarAlias> = AutoGrad.ReLU<S>
typealias ELU<S: NDScalarAlias> = AutoGrad.ELU<S>
