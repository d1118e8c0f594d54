"""Who labels what next: model assistance, agreement, guidelines and candidate generation."""
