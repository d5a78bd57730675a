// A WebSocket that reconnects by itself: after a drop it waits (0.5 s, doubling to at most 5 s, with jitter)
// and opens again, calling onOpen(socket) each time so the page can say hello again. Frames are JSON objects.
//
//   const s = new ReconnectingSocket("/ws/candidate", {onOpen, onFrame, onState, onClose});
//   s.send({type: "ping"});       // false when not open (the caller keeps what it must resend)
//   s.stop();                     // close for good
//
// onState(state) gets "connecting" | "open" | "waiting"; onClose(event) may return false to stop reconnecting
// (for close codes that mean "do not come back": bad token, taken over, terminated).

export class ReconnectingSocket {
  constructor(path, handlers) {
    this.url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
    this.handlers = handlers;
    this.delay = 500;
    this.stopped = false;
    this.ws = null;
    this.timer = null;
    this.open();
  }

  open() {
    if (this.stopped) return;
    this.state("connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.delay = 500;
      this.state("open");
      this.handlers.onOpen?.(this);
    });
    ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.handlers.onFrame?.(frame, this);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      const again = this.handlers.onClose?.(event, this);
      if (again === false || this.stopped) {
        this.stopped = true;
        return;
      }
      this.state("waiting");
      const wait = this.delay * (0.75 + Math.random() * 0.5);
      this.delay = Math.min(this.delay * 2, 5000);
      this.timer = setTimeout(() => this.open(), wait);
    });
  }

  state(name) {
    this.handlers.onState?.(name);
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // Drop the connection as a network fault would (tests and the "reconnect now" button use it).
  drop() {
    if (this.ws) this.ws.close(4000, "drop");
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000, "bye");
  }
}
