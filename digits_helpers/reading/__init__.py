"""Reading image files with a saved model: predict, the checks of a form's scans, MNIST digits
of other hands, the reader trained on many writers. Imports models, data and core; not study."""
