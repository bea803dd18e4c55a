// The arrays, the random generator and safetensors come with AutoGrad: `import AutoGrad`
// alone builds, trains, saves and loads a model.
@_exported import ArrayKit
