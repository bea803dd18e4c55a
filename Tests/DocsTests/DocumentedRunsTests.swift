import Foundation
import Testing

/// The tables of training results in Docs/ against the run histories committed beside them in
/// Docs/figures: each row's numbers are the ones its history.json holds, printed to the
/// table's digits. The commands that regenerate the histories are named in the documents
/// (`scripts/compare-schedules.sh`, the recipe's `train-autograd` line).
@Suite struct DocumentedRunsTests {
    static let docs = URL(filePath: #filePath).deletingLastPathComponent()
        .appending(path: "../../Docs").standardized

    /// One documented run: its history and the numbers a row prints from it.
    struct Run {
        let epochs: [[String: Any]]
        let bestEpoch: Int
        let testAccuracy: Double

        init(_ folder: String) throws {
            let data = try Data(contentsOf: DocumentedRunsTests.docs.appending(path: "figures/\(folder)/history.json"))
            let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            epochs = try #require(object["epochs"] as? [[String: Any]])
            bestEpoch = try #require(object["best_epoch"] as? Int)
            testAccuracy = try #require((object["test"] as? [String: Any])?["accuracy"] as? Double)
        }

        func value(_ key: String, epoch: Int) throws -> Double {
            try #require(epochs[epoch - 1][key] as? Double, "no \(key) at epoch \(epoch)")
        }

        /// best validation accuracy (epoch) | test accuracy | last training loss | last validation loss
        func scheduleRow() throws -> [String] {
            [String(format: "%.4f (%d)", try value("val_accuracy", epoch: bestEpoch), bestEpoch),
             String(format: "%.4f", testAccuracy),
             String(format: "%.4f", try value("train_loss", epoch: epochs.count)),
             String(format: "%.4f", try value("val_loss", epoch: epochs.count))]
        }
    }

    /// The cells after the first of the table row in `document` whose first cell is `name`
    /// (bold marks removed).
    static func row(_ name: String, in document: String) throws -> [String] {
        let text = try String(contentsOf: docs.appending(path: document), encoding: .utf8)
        for line in text.split(separator: "\n") where line.hasPrefix("|") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.replacingOccurrences(of: "**", with: "").trimmingCharacters(in: .whitespaces) }
            if cells.first == name { return Array(cells.dropFirst()) }
        }
        Issue.record("\(document) has no table row for \(name)")
        return []
    }

    @Test(arguments: ["constant", "step", "cosine", "onecycle"])
    func scheduleTableMatchesItsHistories(schedule: String) throws {
        let run = try Run("schedules/\(schedule)")
        #expect(run.epochs.count == 10)
        #expect(try Self.row(schedule, in: "LearningRate.md") == run.scheduleRow())
    }

    @Test func recipeMatchesItsHistory() throws {
        let run = try Run("recipe")
        #expect(run.epochs.count == 20)
        #expect(run.testAccuracy >= 0.90)
        let cells = try Self.row("recipe", in: "Results.md")
        #expect(Array(cells.suffix(2)) == [String(format: "%d (%.4f)", run.bestEpoch, try run.value("val_accuracy", epoch: run.bestEpoch)),
                          String(format: "%.4f", run.testAccuracy)])
    }
}
