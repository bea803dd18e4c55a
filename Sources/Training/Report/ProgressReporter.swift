import Foundation

/// Where progress text goes: standard output or standard error.
public enum ProgressStream: Sendable {
    /// Standard output.
    case standardOutput
    /// Standard error.
    case standardError

    var fileDescriptor: Int32 { self == .standardOutput ? 1 : 2 }

    /// Whether the stream is a terminal (so a bar redrawn in place makes sense).
    public var isTerminal: Bool { isatty(fileDescriptor) == 1 }

    /// The terminal's width in columns, or 80 when it cannot be told.
    var columns: Int {
        var size = winsize()
        if ioctl(fileDescriptor, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    func write(_ text: String) {
        if self == .standardOutput {
            // print shares the C stdio buffer with the rest of the program's output, so lines
            // keep their order; flushing makes the bar appear now.
            print(text, terminator: "")
            fflush(nil)
        } else {
            fflush(nil)
            FileHandle.standardError.write(Data(text.utf8))
        }
    }
}

/// Reports training progress: on a terminal, a bar redrawn in place through each epoch
/// with the running loss, speed and time left; otherwise (piped, redirected) only one plain
/// line per epoch, so logs stay readable.
///
/// ```swift
/// let progress = ProgressReporter()                 // bar if stdout is a terminal
/// for epoch in 1...epochs {
///     progress.beginEpoch(epoch, of: epochs, batchCount: batches.count)
///     for batch in batches { …; progress.batchFinished(loss: loss, samples: batch.count) }
///     progress.endEpoch(record)                    // clears the bar, prints the epoch's line
/// }
/// ```
public final class ProgressReporter {
    /// How progress is shown.
    public enum Style: Sendable {
        /// A bar redrawn in place through each epoch, for a terminal.
        case bar
        /// One line per epoch, for logs.
        case lines
    }

    /// How this reporter shows progress.
    public let style: Style
    private let sink: (String) -> Void
    private let width: Int
    private let now: () -> Double

    private var epoch = 0, epochCount = 0, batchCount = 0, batchesDone = 0, samplesDone = 0
    private var lossSum = 0.0
    private var epochStart = 0.0, lastDraw = -Double.infinity
    private var barShown = false

    /// Reports to `stream`: as a bar if it is a terminal, as lines otherwise.
    public convenience init(stream: ProgressStream = .standardOutput) {
        self.init(style: stream.isTerminal ? .bar : .lines, width: stream.columns, write: stream.write)
    }

    /// Reports in `style` through `write` (which receives text with its own `\r`/`\n`);
    /// `width` bounds the bar's line. `clock` gives seconds, for tests.
    public init(style: Style, width: Int = 80, write: @escaping (String) -> Void,
                clock: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }) {
        self.style = style
        self.width = Swift.max(width, 40)
        self.sink = write
        self.now = clock
    }

    /// Starts epoch `epoch` of `epochCount`, which has `batchCount` batches; a bar is drawn at once.
    public func beginEpoch(_ epoch: Int, of epochCount: Int, batchCount: Int) {
        self.epoch = epoch
        self.epochCount = epochCount
        self.batchCount = batchCount
        batchesDone = 0
        samplesDone = 0
        lossSum = 0
        epochStart = now()
        lastDraw = -Double.infinity
        if style == .bar { draw() }
    }

    /// Records one finished batch: its mean `loss` over `samples` samples.
    public func batchFinished(loss: Double, samples: Int) {
        batchesDone += 1
        samplesDone += samples
        lossSum += loss * Double(samples)
        guard style == .bar else { return }
        // Redrawing at most ten times a second keeps the terminal cheap even for tiny batches.
        let t = now()
        if t - lastDraw >= 0.1 || batchesDone == batchCount { draw(at: t) }
    }

    /// Ends the epoch: clears the bar and prints the epoch's line.
    public func endEpoch(_ record: EpochRecord) {
        message(record.line(of: epochCount))
    }

    /// Prints a line of text (a warning, a note), keeping the bar out of its way.
    public func message(_ text: String) {
        if barShown {
            sink("\r\u{1B}[K")
            barShown = false
        }
        sink(text + "\n")
    }

    /// The bar as text, e.g. `epoch 3/10 [#########-----------]  215/429  loss 0.4521  8.1k samples/s  ETA 3s`.
    func barText(at t: Double) -> String {
        let elapsed = Swift.max(t - epochStart, 1e-9)
        let fraction = batchCount > 0 ? Double(batchesDone) / Double(batchCount) : 0
        let counter = "\(String(repeating: " ", count: Swift.max(0, "\(batchCount)".count - "\(batchesDone)".count)))\(batchesDone)/\(batchCount)"
        var tail = "  " + counter
        if samplesDone > 0 {
            let loss = lossSum / Double(samplesDone)
            let rate = Double(samplesDone) / elapsed
            let remaining = batchesDone > 0 ? elapsed / Double(batchesDone) * Double(batchCount - batchesDone) : 0
            tail += "  loss \(loss.isFinite ? String(format: "%.4f", loss) : compactNumber(loss))"
            tail += "  \(Self.rateText(rate)) samples/s  ETA \(Self.durationText(remaining))"
        }
        let head = "epoch \(epoch)/\(epochCount) "
        let barWidth = Swift.max(10, Swift.min(40, width - 1 - head.count - tail.count - 2))
        let filled = Swift.min(barWidth, Int((fraction * Double(barWidth)).rounded(.down)))
        let bar = "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled) + "]"
        return String((head + bar + tail).prefix(width - 1))
    }

    private func draw(at t: Double? = nil) {
        let t = t ?? now()
        lastDraw = t
        sink("\r" + barText(at: t) + "\u{1B}[K")
        barShown = true
    }

    static func rateText(_ rate: Double) -> String {
        rate >= 10_000 ? String(format: "%.0fk", rate / 1000) : rate >= 1000 ? String(format: "%.1fk", rate / 1000)
            : String(format: "%.0f", rate)
    }

    static func durationText(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(String(format: "%02d", s % 3600 / 60))m"
            : s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
    }
}
