// Type declarations for the Rastro widget's JavaScript API:
//   <script async src="https://collector.example/widget/rastro.js" data-key="wk_demo"></script>
// Every call is queued until the module is ready; bad arguments get a
// console.warn naming the argument, never an exception.

export type RastroChannel = "web" | "app" | "email" | "chat" | "bot" | "voice" | "sms" | "social" | "review" | "store" | "in_person" | "other";

export interface RastroInitOptions {
  /** Language of the widget's texts and of events: "pt", "es", "en" (BCP 47). Defaults to <html lang>. */
  lang?: string;
  /** Write key. Defaults to the script tag's data-key. */
  key?: string;
  /** Collector base URL. Defaults to data-endpoint, else the loader's own origin. */
  endpoint?: string;
  journey?: string;
  channel?: RastroChannel;
  userId?: string;
  /** false stops capture and drops the queue. Defaults to true. */
  consent?: boolean;
  /** Events that trigger an immediate send. Defaults to 20. */
  batchSize?: number;
  /** How long (ms) an event may wait to be batched. Defaults to 1000. */
  flushInterval?: number;
}

export interface RastroEventOptions {
  text?: string;
  journey?: string;
  emoji?: string;
  target?: string;
  interactionId?: string;
  agentId?: string;
  userId?: string;
  /** Scale maximum for star, emoji, csat, ces (3..10). */
  scaleMax?: number;
  props?: Record<string, string | number | boolean>;
}

/** The floating feedback button (also data-button on the script tag). */
export interface RastroButtonOptions {
  /** The dialog's questions, as in data-rastro-ask. Defaults to "stars comment". */
  ask?: string;
  /** The answers' touchpoint. Defaults to location.pathname when the visitor sends. */
  touchpoint?: string;
  /** Mirrored on right-to-left pages. Defaults to "bottom-right". */
  position?: "bottom-right" | "bottom-left";
  /** The button's text and the dialog's title. Defaults to "Feedback" in the page's language. */
  label?: string;
  /** Replaces the first question's prompt. */
  question?: string;
}

export interface Rastro {
  (method: "init", options: RastroInitOptions): void;
  /** 1..5 stars (or 1..scaleMax). */
  (method: "star", touchpoint: string, value: number, options?: RastroEventOptions): void;
  /** 1..5, or one of 😠 🙁 😐 🙂 😍. */
  (method: "emoji", touchpoint: string, value: number | string, options?: RastroEventOptions): void;
  (method: "thumbs", touchpoint: string, up: boolean | "up" | "down" | 0 | 1, options?: RastroEventOptions): void;
  /** 0..10. */
  (method: "nps", touchpoint: string, value: number, options?: RastroEventOptions): void;
  /** 1..5. */
  (method: "csat", touchpoint: string, value: number, options?: RastroEventOptions): void;
  /** 1..7. */
  (method: "ces", touchpoint: string, value: number, options?: RastroEventOptions): void;
  (method: "comment", touchpoint: string, text: string, options?: RastroEventOptions): void;
  (method: "click", touchpoint: string, target?: string, options?: RastroEventOptions): void;
  /** A user id for the next events; null forgets it. */
  (method: "identify", userId: string | null): void;
  /** false stops capture and drops unsent events; remembered in localStorage. */
  (method: "consent", granted: boolean): void;
  /** Shows (options or true: the defaults), reconfigures or (false) removes the floating feedback button. */
  (method: "button", options: RastroButtonOptions | boolean): void;
  /** Sends now. Once the module runs, resolves true when the queue is empty, false when a send failed. */
  (method: "flush"): Promise<boolean> | void;
  /** True once the module runs. */
  readonly ready?: boolean;
}

declare global {
  interface Window {
    rastro: Rastro;
  }
  interface DocumentEventMap {
    /** Fired on document when the module is ready. */
    "rastro:ready": CustomEvent;
    /** Fired on document after each batch answered by the collector. */
    "rastro:sent": CustomEvent;
  }
}
