import Foundation

/// A confusion matrix drawn as a heatmap: true classes down, predicted classes across, each
/// cell shaded by the share of its row (so a class's recall is the shade of its diagonal
/// cell, whatever its size) and labelled with its count.
///
/// ```swift
/// let chart = ConfusionMatrixChart(confusion, classNames: dataset.classNames,
///                                  title: "Test confusion matrix")
/// try chart.write(to: run.file("confusion_matrix.svg"))
/// ```
public struct ConfusionMatrixChart: SVGRenderable, Sendable {
    /// The counts drawn.
    public var matrix: ConfusionMatrix
    /// Row and column labels, one per class.
    public var classNames: [String]
    /// The heading above the grid.
    public var title: String

    /// A chart of `matrix`; `classNames` (one per class) defaults to "0", "1", ….
    public init(_ matrix: ConfusionMatrix, classNames: [String]? = nil, title: String = "Confusion matrix") {
        let names = classNames ?? (0..<matrix.classCount).map(String.init)
        precondition(names.count == matrix.classCount,
                     "ConfusionMatrixChart: \(names.count) class names for \(matrix.classCount) classes")
        self.matrix = matrix
        self.classNames = names
        self.title = title
    }

    private var cellSize: Double { matrix.classCount <= 12 ? 52 : Swift.max(14, 620 / Double(matrix.classCount)) }
    private var nameWidth: Double { classNames.map { SVG.textWidth($0, fontSize: 12) }.max() ?? 0 }

    /// The layout: where the grid starts, leaving room for rotated column names below it.
    private var grid: (left: Double, top: Double, side: Double) {
        (40 + nameWidth, 50, cellSize * Double(matrix.classCount))
    }

    public var size: (width: Double, height: Double) {
        let g = grid
        // Column names are rotated 45°, so they reach about 0.71 of their length down.
        return (g.left + g.side + 30, g.top + g.side + 0.71 * nameWidth + 56)
    }

    public func elements(idPrefix: String) -> [String] {
        let g = grid, cell = cellSize
        var out = [SVG.text(title, x: g.left + g.side / 2, y: 28, size: 16, anchor: .middle, weight: "bold")]
        let rows = matrix.rows
        for (i, row) in rows.enumerated() {
            let rowTotal = row.reduce(0, +)
            for (j, count) in row.enumerated() {
                let share = rowTotal == 0 ? 0 : Double(count) / Double(rowTotal)
                let x = g.left + Double(j) * cell, y = g.top + Double(i) * cell
                out.append(SVG.rect(x: x, y: y, width: cell, height: cell, fill: Self.blue(share), stroke: "#ffffff"))
                if cell >= 24 {
                    out.append(SVG.text("\(count)", x: x + cell / 2, y: y + cell / 2 + 4,
                                        size: count >= 10_000 ? 10 : 12, anchor: .middle,
                                        weight: i == j ? "bold" : nil, fill: share > 0.5 ? "#ffffff" : "#222222"))
                }
            }
        }
        out.append(SVG.rect(x: g.left, y: g.top, width: g.side, height: g.side, fill: "none", stroke: "#444444"))
        for (i, name) in classNames.enumerated() {
            let center = Double(i) * cell + cell / 2
            out.append(SVG.text(name, x: g.left - 8, y: g.top + center + 4, size: 12, anchor: .end))
            let x = g.left + center, y = g.top + g.side + 14
            out.append(SVG.text(name, x: x, y: y, size: 12, anchor: .end, rotate: -45))
        }
        out.append(SVG.text("predicted class", x: g.left + g.side / 2, y: size.height - 12, size: 13, anchor: .middle))
        out.append(SVG.text("true class", x: 16, y: g.top + g.side / 2, size: 13, anchor: .middle, rotate: -90))
        return out
    }

    /// White to dark blue as `share` goes from 0 to 1.
    static func blue(_ share: Double) -> String {
        let t = Swift.min(Swift.max(share.isFinite ? share : 0, 0), 1)
        let (r, g, b) = (247 - t * (247 - 8), 251 - t * (251 - 48), 255 - t * (255 - 107))
        return String(format: "#%02x%02x%02x", Int(r.rounded()), Int(g.rounded()), Int(b.rounded()))
    }
}
