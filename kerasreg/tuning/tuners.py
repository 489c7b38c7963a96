"""The KerasTuner tuners a search can use, by the names the config and the command line take."""

# random: RandomSearch; grid: GridSearch; bayesian: BayesianOptimization; hyperband: Hyperband.
TUNERS = ("random", "grid", "bayesian", "hyperband")
