// Parameters of the sorting primitives (backend.h) shared by the ops and every device.
#pragma once

namespace pydl {

// Which element Backend::row_stat picks from each row. Positions refer to the row's stable
// ascending sort (NaNs last, in input order), so ties resolve the same on every device.
enum class RowStat {
  Median,     // the lower median; the first NaN (in input order) when the row has any
  NanMedian,  // the lower median of the non-NaN values; NaN only when all are NaN
  Mode,       // the smallest most frequent value, at the last input index holding it
};

}  // namespace pydl
