"""Training and saving the models: the scikit-learn searches and lean loop, the Keras MLP and
sweep, the models beyond it (shifts, CNN, SVC), saved models. TensorFlow starts here."""
