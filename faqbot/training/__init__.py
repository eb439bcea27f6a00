"""Training the Siamese LSTM with Trax (the `train` extra). Serving never imports this package."""
