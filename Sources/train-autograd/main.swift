import TrainingCLI

// Options, validation and the run itself live in TrainingCLI, where tests drive them.
TrainAutoGrad.mainWithNormalizedArguments()
