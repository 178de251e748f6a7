/** Texts the UI shows, exactly as the product writes them. */
export const MSG = {
  refused: "Email or password is incorrect, or the account is locked. Try again, or ask your administrator.",
  ended: "Your session has ended. Please sign in again.",
  signedOut: "You have signed out.",
  passwordChanged: "Password changed. Your other sessions have been signed out.",
  passwordsDoNotMatch: "The passwords do not match.",
  sessionPolicySaved: "Session policy saved.",
  passwordPolicySaved: "Password policy saved.",
  lockoutPolicySaved: "Lockout policy saved.",
  idleLongerThanMax: "Idle timeout cannot be longer than the maximum session duration.",
  passwordSet: "Your password is set.",
  linkInvalid: "This link is invalid or has expired. Ask your administrator for a new one.",
} as const;
