// The WebSocket connection test from Circle's "Websockets (Beta)" page: the "Complete
// Implementation", plus the optional test message from "Connection Open". The code is unchanged
// except that the URL, the Origin, the access token and COMMUNITY_MEMBER_ID come from the
// environment variables CABLE_URL, CABLE_ORIGIN, CABLE_TOKEN and CABLE_MEMBER_ID, so the script
// runs against a local cabled:
//
//   CABLE_URL=ws://127.0.0.1:8080/cable CABLE_ORIGIN=https://your-whitelisted-domain.com \
//   CABLE_TOKEN=$(build/cabled token --secret KEY --member 1) CABLE_MEMBER_ID=1 \
//   node examples/websocket-connection-test.js
const WebSocket = require("ws");
const channelName = "ChatRoomChannel";
// Taken from the environment (see above); the page has these as literals.
const CABLE_URL = process.env.CABLE_URL || "wss://app.circle.so/cable";
const CABLE_ORIGIN = process.env.CABLE_ORIGIN || "https://your-whitelisted-domain.com";
const HEADLESS_MEMBER_ACCESS_TOKEN = process.env.CABLE_TOKEN || "HEADLESS_MEMBER_ACCESS_TOKEN";
const COMMUNITY_MEMBER_ID = Number(process.env.CABLE_MEMBER_ID);

function initializeWebSocket() {
  const socket = new WebSocket(CABLE_URL, {
    headers: {
      Origin: CABLE_ORIGIN,
      Authorization: `Bearer ${HEADLESS_MEMBER_ACCESS_TOKEN}`
    }
  });

  // Handle connection open
  socket.on("open", function open() {
    console.log("WebSocket connection opened.");
    
    // Subscribe to channel
    const subscribeMessage = JSON.stringify({
      command: "subscribe",
      identifier: JSON.stringify({
        channel: channelName,
        community_member_id: COMMUNITY_MEMBER_ID
      })
    });
    
    socket.send(subscribeMessage);

    // Optional: Send a test message
    socket.send(JSON.stringify({ 
      action: "message", 
      data: "Hello Server!" 
    }));
  });

  // Handle incoming messages
  socket.on("message", function incoming(data) {
    const message = JSON.parse(data);
    if (message.channel === channelName) {
      console.log(`Message from channel ${channelName}:`, message.data);
    } else {
      console.log("Message from server:", message);
    }
  });

  // Handle errors
  socket.on("error", function error(err) {
    console.error("WebSocket error:", err);
  });

  // Handle connection close
  socket.on("close", function close() {
    console.log("WebSocket connection closed.");
    // Optional: Implement reconnection logic here
  });

  return socket;
}

// Initialize the WebSocket connection
const socket = initializeWebSocket();
