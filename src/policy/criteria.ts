/** The membership criteria of the early-disclosure policy: the default of policy.criteria. */
export const DEFAULT_CRITERIA: string[] = [
  'Have an actively monitored security email alias for our project. This cannot be a personal email address, it must be a corporate address owned by the organization.',
  'Be involved in redistributing Istio or have a product with close coupling to Istio.',
  'Have a user base not limited to your own organization.',
  'Be a participant and active contributor in the Istio community.',
  'Accept the Embargo Policy that is outlined above.',
];
