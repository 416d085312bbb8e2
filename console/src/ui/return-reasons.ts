// The typed reasons work goes back for (rework), as the API takes them, with words for people.
export const RETURN_REASONS = [
  ['missing_info', 'Missing information'],
  ['wrong_owner', 'Wrong owner'],
  ['wrong_priority', 'Wrong priority'],
  ['duplicate', 'Duplicate'],
  ['not_actionable', 'Not actionable'],
  ['other', 'Other'],
] as const;
