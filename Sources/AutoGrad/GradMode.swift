/// Whether ops record a graph. A task-local value rather than a global flag, so that
/// `withNoGrad` in one task (an evaluation running beside training) never switches off
/// recording in another: safe under Swift 6 strict concurrency.
public enum GradMode {
    /// True (the default) while ops record their inputs and pullbacks.
    ///
    /// ```swift
    /// GradMode.isEnabled                   // true
    /// withNoGrad { GradMode.isEnabled }    // false
    /// ```
    @TaskLocal public static var isEnabled: Bool = true
}

/// Runs `body` without recording a graph, as `with torch.no_grad():` — for evaluation and
/// for parameter updates. Tensors made inside need no gradient and hold no graph.
///
/// ```swift
/// let accuracy = withNoGrad { evaluate(model, on: testSet) }
/// ```
@inlinable
public func withNoGrad<Result>(_ body: () throws -> Result) rethrows -> Result {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

/// The `async` form of ``withNoGrad(_:)``; the flag holds across suspension points and
/// in child tasks.
@inlinable
public func withNoGrad<Result>(
    isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> Result
) async rethrows -> Result {
    try await GradMode.$isEnabled.withValue(false, operation: body, isolation: isolation)
}
