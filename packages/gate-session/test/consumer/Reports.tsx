export default function Reports({ title }: { title: string }) {
  return <h2>{title}</h2>;
}
