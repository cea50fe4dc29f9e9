// Parameters of the sorting primitives (backend.h) shared by the ops and every device.
#pragma once

namespace pydl {

// What Backend::pick_sorted takes from each ascending, stably sorted row (NaNs last).
enum class SortedPick {
  Median,     // the lower median; the first NaN (in input order) when the row has any
  NanMedian,  // the lower median of the non-NaN values; NaN only when all are NaN
  Mode,       // the smallest most frequent value, at the last input index holding it
};

}  // namespace pydl
