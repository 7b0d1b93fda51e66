"""Attribution: who (source) said or holds what (content), anchored by a cue."""
