"""`python -m training.multilingual`: fit the cross-language reading maps, then the decision
for readings that cross languages (which reads units scored through those maps)."""

from training.multilingual import answerability
from training.multilingual.calibrate import main

if __name__ == "__main__":
    main()
    answerability.main()
