"""`python -m training.multilingual`: fit the cross-language reading maps."""

from training.multilingual.calibrate import main

if __name__ == "__main__":
    main()
