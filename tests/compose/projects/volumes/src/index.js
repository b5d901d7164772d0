console.log("hello from src")
