import TrainingCLI

// Options, validation and the sweep itself live in TrainingCLI, where tests drive them.
LRSweep.mainWithNormalizedArguments()
