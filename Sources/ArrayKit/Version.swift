/// The package itself: its version, in one place for every executable's `--version` and for
/// the files the package writes (`backprop.version` in a model's safetensors metadata).
///
/// ```swift
/// print(Backprop.version)   // "0.1.0"
/// ```
public enum Backprop {
    /// The package's semantic version. Below 1.0 the public API may still change between
    /// minor versions.
    public static let version = "0.1.0"
}
