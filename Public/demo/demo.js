// Demo shop behaviour: "Ask a question" buttons open the Kefu widget; add-to-cart is pretend.
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  if (target?.closest("[data-open-chat]")) {
    window.Kefu?.open();
    return;
  }
  const add = target?.closest(".add");
  if (add && !add.classList.contains("added")) {
    add.classList.add("added");
    add.textContent = "Added";
    const count = document.querySelector(".cart-count");
    const cart = document.querySelector(".cart");
    const n = Number(count.textContent) + 1;
    count.textContent = String(n);
    cart.setAttribute("aria-label", `Cart, ${n} items`);
  }
});
