"""The trainer's tests train on generated stimuli, whose data source chronoscore.analyses.training_data registers."""

import chronoscore.analyses.training_data  # noqa: F401
